import Conntrack
import Testing

@Suite struct StatusTests {
    @Test func namesFollowTheKernelBits() {
        let status: ConntrackStatus = [.seenReply, .assured, .confirmed]
        #expect(status.rawValue == 0xE)
        #expect(status.names == ["SEEN_REPLY", "ASSURED", "CONFIRMED"])
        #expect(TCPConntrackState.synSent2.name == "SYN_SENT2")
    }
}
