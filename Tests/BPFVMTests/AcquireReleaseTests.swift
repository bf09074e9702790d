import BPFObject
import BPFVM
import BPFVerifier
import CtsimTesting
import KernelBackend
import Testing

/// Load-acquire and store-release (6.15+: BPF_ATOMIC with imm 0x100 / 0x110, every size): the
/// verifier accepts them where the live kernel does, and the VM runs them as the plain load and
/// store they are on one thread.
@Suite struct AcquireReleaseTests {
    static let value: UInt64 = 0x1122_3344_5566_7788

    /// r1 = value; store_release((size *)(r10 - 8), r1); r0 = load_acquire((size *)(r10 - 8)); exit
    static func program(size: UInt8) -> [Instruction] {
        let atomic = Opcode.classSTX | Opcode.modeATOMIC | size
        return [
            Instruction(opcode: 0x18, destination: 1, immediate: Int32(truncatingIfNeeded: value)),
            Instruction(opcode: 0, immediate: Int32(truncatingIfNeeded: value >> 32)),
            Instruction(opcode: atomic, destination: 10, source: 1, offset: -8, immediate: 0x110),
            Instruction(opcode: atomic, destination: 0, source: 10, offset: -8, immediate: 0x100),
            Instruction(opcode: 0x95),
        ]
    }

    @Test(arguments: [(Opcode.sizeB, 1), (Opcode.sizeH, 2), (Opcode.sizeW, 4), (Opcode.sizeDW, 8)])
    func storedThenLoaded(_ size: UInt8, _ bytes: Int) throws {
        let code = Self.program(size: size)
        let verdict = BPFVerifier.verify(program: LoadedProgram(name: "acq_rel", type: .xdp, instructions: code))
        #expect(verdict.accepted, "\(verdict.error ?? "")")
        let verified = try #require(verdict.program)
        let machine = BPFMachine()
        let result = try machine.run(try machine.load(verified))
        let mask: UInt64 = bytes == 8 ? .max : (1 << UInt64(bytes * 8)) - 1
        #expect(result == Self.value & mask)
    }

    /// The read-modify-write atomics of the same opcodes keep their meaning: fetch_add adds.
    @Test func fetchAddStillAdds() throws {
        let code = [
            Instruction(opcode: 0x7A, destination: 10, offset: -8, immediate: 10),  // *(u64 *)(r10 - 8) = 10
            Instruction(opcode: 0xB7, destination: 1, immediate: 5),
            Instruction(opcode: 0xDB, destination: 10, source: 1, offset: -8, immediate: 0x01),  // r1 = fetch_add
            Instruction(opcode: 0x79, destination: 0, source: 10, offset: -8),
            Instruction(opcode: 0x0F, destination: 0, source: 1),
            Instruction(opcode: 0x95),
        ]
        let verdict = BPFVerifier.verify(program: LoadedProgram(name: "fetch_add", type: .xdp, instructions: code))
        let machine = BPFMachine()
        #expect(try machine.run(try machine.load(try #require(verdict.program))) == 15 + 10)
    }

    @Test(.needsKernel, arguments: [Opcode.sizeB, Opcode.sizeH, Opcode.sizeW, Opcode.sizeDW])
    func theKernelAcceptsTheSamePrograms(_ size: UInt8) throws {
        let kernel = try KernelProgramLoader.verify(slots: Self.program(size: size).flatMap(\.bytes))
        #expect(kernel.accepted, "\(kernel.error ?? "")")
        // a misaligned one is refused by both, with the same line
        var code = Self.program(size: size)
        code[3].offset = -7
        let ours = BPFVerifier.verify(program: LoadedProgram(name: "acq_rel", type: .xdp, instructions: code))
        let theirs = try KernelProgramLoader.verify(slots: code.flatMap(\.bytes))
        #expect(ours.accepted == theirs.accepted && ours.error == theirs.error, "ours \(ours.error ?? "accepted"), kernel \(theirs.error ?? "accepted")")
    }
}
