import BPFObject
import BPFVM
import BPFVerifier
import CtsimTesting
import Testing

/// Random bytecode must never crash or hang the host: the verifier gives every program a verdict,
/// and every program either loads and then ends (a result or a VMError) within its budget, or is
/// refused at load.
@Suite struct FuzzTests {
    /// Opcodes the ISA has, to make most random programs load.
    static let opcodes: [UInt8] = [
        0x07, 0x0F, 0x17, 0x1F, 0x27, 0x2F, 0x37, 0x3F, 0x47, 0x4F, 0x57, 0x5F, 0x67, 0x6F, 0x77, 0x7F, 0x87,
        0x97, 0x9F, 0xA7, 0xAF, 0xB7, 0xBF, 0xC7, 0xCF, 0xD7, 0x04, 0x0C, 0x14, 0x1C, 0x24, 0x2C, 0x34, 0x3C,
        0x44, 0x4C, 0x54, 0x5C, 0x64, 0x6C, 0x74, 0x7C, 0x84, 0x94, 0x9C, 0xA4, 0xAC, 0xB4, 0xBC, 0xC4, 0xCC,
        0xD4, 0xDC, 0x05, 0x06, 0x15, 0x1D, 0x25, 0x2D, 0x35, 0x3D, 0x45, 0x4D, 0x55, 0x5D, 0x65, 0x6D, 0x75,
        0x7D, 0xA5, 0xAD, 0xB5, 0xBD, 0xC5, 0xCD, 0xD5, 0xDD, 0x16, 0x1E, 0x26, 0x2E, 0x56, 0x5E, 0xC6, 0xCE,
        0x71, 0x69, 0x61, 0x79, 0x91, 0x89, 0x81, 0x72, 0x6A, 0x62, 0x7A, 0x73, 0x6B, 0x63, 0x7B, 0xC3, 0xDB,
        0x18, 0x85, 0x8D, 0x95,
    ]

    @Test(arguments: 0..<4)
    func randomBytecodeNeverEscapes(_ seed: Int) throws {
        var g = SplitMix64(seed: UInt64(seed) &* 7919 &+ 1)
        var loaded = 0, ended = 0, verified = 0
        for _ in 0..<5_000 {
            let program = Self.randomProgram(&g)
            let verdict = BPFVerifier.verify(program: LoadedProgram(name: "fuzz", type: .xdp, instructions: program))
            #expect(verdict.accepted || verdict.error?.isEmpty == false)
            if verdict.accepted { verified += 1 }
            let machine = BPFMachine()
            try machine.createMap(MapDefinition(name: "m", type: .hash, keySize: 4, valueSize: 8, maxEntries: 4))
            let address = machine.setBuffer([UInt8](repeating: 0x5A, count: 16))
            guard let loadedProgram = try? machine.load(program) else { continue }
            loaded += 1
            do {
                _ = try machine.run(loadedProgram, r1: address, r2: 16, budget: 10_000)
            } catch {
                #expect(!error.message.isEmpty)
            }
            #expect(machine.executedInstructions <= 10_000)
            ended += 1
        }
        #expect(loaded > 500)
        #expect(ended == loaded)
        // Most random programs read registers they never set: the verifier refuses nearly all of
        // what the VM's own load checks let through.
        #expect(verified < loaded / 10, "verified \(verified) of \(loaded)")
    }

    /// A random program of 1...12 slots shaped like real instructions (one in eight is noise),
    /// then `exit`.
    static func randomProgram(_ g: inout SplitMix64) -> [Instruction] {
        let count = Int(g.next() % 12) + 1
        var program: [Instruction] = []
        for _ in 0..<count {
            let r = g.next()
            // One in eight slots is pure noise; the rest are shaped like real instructions
            // (reserved fields zero) so most programs load and run.
            if r & 7 == 0 {
                program.append(Instruction(bytes: (0..<8).map { UInt8(truncatingIfNeeded: g.next() >> ($0 * 3)) }))
                continue
            }
            let opcode = Self.opcodes[Int(r >> 8) % Self.opcodes.count]
            let dst = UInt8(truncatingIfNeeded: r >> 16) % 10
            let src = UInt8(truncatingIfNeeded: r >> 24) % 11
            let small = Int32(truncatingIfNeeded: Int64(r >> 40) % 64 - 32)
            let jump = Int16(truncatingIfNeeded: Int64(r >> 32) % 7 - 3)
            let memoryOffset = Int16(truncatingIfNeeded: -(Int64(r >> 50) % 520))
            var insn = Instruction(opcode: opcode, destination: dst)
            let cls = opcode & 7
            let byRegister = opcode & 8 != 0
            switch cls {
            case 4, 7:
                if opcode & 0xF0 == 0xD0 {
                    insn.immediate = [16, 32, 64][Int(r >> 60) % 3]
                } else if opcode & 0xF0 == 0x80 {
                    break
                } else if byRegister {
                    insn.source = src
                } else {
                    insn.immediate = (r >> 58) & 1 == 0 ? small : Int32(truncatingIfNeeded: r >> 20)
                }
            case 5, 6:
                switch opcode {
                case 0x05: insn = Instruction(opcode: opcode, offset: jump)
                case 0x06: insn = Instruction(opcode: opcode, immediate: Int32(jump))
                case 0x85: insn = Instruction(opcode: opcode, immediate: [1, 2, 3, 5, 6, 7, 8, 12, 118, 130, 131, 132][Int(r >> 56) % 12])
                case 0x8D: insn = Instruction(opcode: opcode, destination: dst)
                case 0x95: insn = Instruction(opcode: opcode)
                default:
                    insn.offset = jump
                    if byRegister { insn.source = src } else { insn.immediate = small }
                }
            case 1:
                insn.source = src
                insn.offset = memoryOffset
            case 2:
                insn.destination = src
                insn.offset = memoryOffset
                insn.immediate = small
            case 3:
                insn.destination = src
                insn.source = dst
                insn.offset = memoryOffset
                if opcode == 0xC3 || opcode == 0xDB { insn.immediate = [0, 0x40, 0x50, 0xA0, 1, 0x41, 0x51, 0xA1, 0xE1, 0xF1][Int(r >> 56) % 10] }
            default:  // 0x18
                insn.immediate = Int32(truncatingIfNeeded: r >> 12)
                program.append(insn)
                insn = Instruction(opcode: 0, immediate: (r >> 62) == 0 ? 1 : 0)
            }
            program.append(insn)
        }
        program.append(Instruction(opcode: 0x95))
        return program
    }
}
