import Kfuncs
import Replay
import Testing

@Suite struct ActionTests {
    @Test func actionNames() {
        #expect(ProgramAction.xdp(2) == "XDP_PASS")
        #expect(ProgramAction.tc(UInt64(bitPattern: -1)) == "TC_ACT_UNSPEC")
        #expect(ProgramAction.tc(2) == "TC_ACT_SHOT")
        #expect(KfuncFlags([.acquire, .returnsNull]).description == "KF_ACQUIRE | KF_RET_NULL")
    }
}
