import BPFObject
import BPFVM
import BPFVerifier
import Foundation
import Replay
import Testing

/// The replay pipeline verifies a program once and runs what the verifier decoded.
@Suite("A replay decodes its program once")
struct VerifiedLoadTests {
    static let examples = ["xdp_ct_firewall", "xdp_syn_guard", "tc_ct_mark", "tc_ct_nat"]

    @Test(arguments: examples)
    func sessionRunsTheVerifiedCode(_ name: String) throws {
        let counter = DecodeCounter()
        let session = try ProgramDecoder.$counter.withValue(counter) {
            try ReplayTestFiles.session(ReplayTestFiles.object(name))
        }
        #expect(counter.count == 1, "\(name): decoded \(counter.count) times")
        #expect(session.verification.accepted)
        let verified = try #require(session.verification.program)
        #expect(session.program.verified === verified)
        #expect(session.program.slotCount == session.loaded.instructions.count)
    }

    @Test func rawBytecodeIsDecodedByTheMachine() throws {
        let machine = BPFMachine()
        let counter = DecodeCounter()
        let program = try ProgramDecoder.$counter.withValue(counter) {
            try machine.load(try Assembler.assemble("mov %r0, 7\nexit"))
        }
        #expect(counter.count == 1)
        #expect(program.verified == nil)
        #expect(try machine.run(program) == 7)
    }

    /// The same packets give the same verdicts through the verified load and a raw load of the
    /// same program.
    @Test func verifiedAndRawLoadsRunAlike() throws {
        let session = try ReplayTestFiles.session(ReplayTestFiles.firewall)
        let raw = try ReplayTestFiles.session(ReplayTestFiles.firewall)
        var names: [Int: String] = [:]
        for call in raw.loaded.kfuncCalls { names[call.instruction] = call.name }
        let rawProgram = try raw.machine.load(raw.loaded.instructions, name: "raw", options: BPFVM.LoadOptions(kfuncNames: names))
        #expect(rawProgram.verified == nil)
        let frame = IPv4Frame.udp
        let a = session.run(frame: frame, nanoseconds: 1_000)
        raw.machine.packet = PacketBuffer(frame)
        let b = try raw.machine.run(rawProgram, r1: raw.machine.contextAddress)
        #expect(a.fault == nil)
        #expect(a.returnValue == b)
    }
}

/// A minimal Ethernet + IPv4 + UDP frame.
enum IPv4Frame {
    static let udp: [UInt8] = {
        var f: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]
        f += [0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 198, 51, 100, 1, 192, 0, 2, 10]
        f += [0x9c, 0x40, 0, 53, 0, 8, 0, 0]
        return f
    }()
}
