import BPFObject
import Testing

@Suite struct AssemblerTests {
    /// Each line and the bytes the kernel's encoding gives it.
    @Test(arguments: [
        ("mov32 %r0, 1", [0xB4, 0x00, 0, 0, 1, 0, 0, 0]),
        ("mov %r1, -1", [0xB7, 0x01, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]),
        ("add %r0, %r1", [0x0F, 0x10, 0, 0, 0, 0, 0, 0]),
        ("sdiv32 %r2, 3", [0x34, 0x02, 1, 0, 3, 0, 0, 0]),
        ("smod %r2, %r3", [0x9F, 0x32, 1, 0, 0, 0, 0, 0]),
        ("movsx832 %r0, %r1", [0xBC, 0x10, 8, 0, 0, 0, 0, 0]),
        ("movsx3264 %r0, %r9", [0xBF, 0x90, 32, 0, 0, 0, 0, 0]),
        ("neg32 %r4", [0x84, 0x04, 0, 0, 0, 0, 0, 0]),
        ("be16 %r3", [0xDC, 0x03, 0, 0, 16, 0, 0, 0]),
        ("le64 %r3", [0xD4, 0x03, 0, 0, 64, 0, 0, 0]),
        ("bswap32 %r0", [0xD7, 0x00, 0, 0, 32, 0, 0, 0]),
        ("ldxdw %r0, [%r1+8]", [0x79, 0x10, 8, 0, 0, 0, 0, 0]),
        ("ldxsh %r0, [%r10-2]", [0x89, 0xA0, 0xFE, 0xFF, 0, 0, 0, 0]),
        ("stb [%r10-1], 0x80", [0x72, 0x0A, 0xFF, 0xFF, 0x80, 0, 0, 0]),
        ("stxw [%r1], %r2", [0x63, 0x21, 0, 0, 0, 0, 0, 0]),
        ("lock add32 [%r10-4], %r1", [0xC3, 0x1A, 0xFC, 0xFF, 0x00, 0, 0, 0]),
        ("lock fetch xor [%r10-8], %r3", [0xDB, 0x3A, 0xF8, 0xFF, 0xA1, 0, 0, 0]),
        ("lock cmpxchg [%r10-8], %r1", [0xDB, 0x1A, 0xF8, 0xFF, 0xF1, 0, 0, 0]),
        ("lock xchg32 [%r10-8], %r1", [0xC3, 0x1A, 0xF8, 0xFF, 0xE1, 0, 0, 0]),
        ("jeq %r1, 0x80000000, +1", [0x15, 0x01, 1, 0, 0, 0, 0, 0x80]),
        ("jslt32 %r1, %r2, -1", [0xCE, 0x21, 0xFF, 0xFF, 0, 0, 0, 0]),
        ("call 5", [0x85, 0, 0, 0, 5, 0, 0, 0]),
        ("call %r2", [0x8D, 0x02, 0, 0, 0, 0, 0, 0]),
        ("exit", [0x95, 0, 0, 0, 0, 0, 0, 0]),
    ] as [(String, [UInt8])])
    func encodes(_ line: String, _ bytes: [UInt8]) throws {
        let program = try Assembler.assemble(line)
        #expect(program.count == 1)
        #expect(program.first?.bytes == bytes, "\(line)")
    }

    @Test func labelsLddwAndLocalCalls() throws {
        let program = try Assembler.assemble("""
            lddw %r0, 0x1122334455667788
            call local f   # a comment
            ja32 done
            f:
            mov %r0, 1
            exit
            done:
            jne %r0, 1, exit
            exit
            """)
        #expect(program.count == 8)
        #expect(program[0].opcode == 0x18 && program[0].immediate == 0x5566_7788 && program[1].immediate == 0x1122_3344)
        #expect(program[2].source == 1 && program[2].immediate == 1)  // f is slot 4
        #expect(program[3].opcode == 0x06 && program[3].immediate == 2)  // done is slot 6
        #expect(program[6].offset == -2)  // the first exit (slot 5) is the implicit label `exit`
    }

    @Test(arguments: [
        ("mov %r0, 1\nldxq %r0, %r1", AssemblerError.Kind.invalidMnemonic, 2),
        ("or %r0, %r50", .invalidRegister, 1),
        ("or %r0, %r11", .invalidRegister, 1),
        ("mov32 %r0, 2147483648", .immediateRange, 1),
        ("mov32 %r0, 0x100000000", .immediateRange, 1),
        ("mov32 %r0, -2147483649", .immediateRange, 1),
        ("mov32 %r0, 12abc", .immediateRange, 1),
        ("ldxb %r0, [%r1+0x10000]", .offsetRange, 1),
        ("ldxb %r0, [%r1-32769]", .offsetRange, 1),
        ("ldxb %r0, %r1", .invalidMemoryOperand, 1),
        ("lddw %r0", .operandCount, 1),
        ("add %r0, 1, 2", .operandCount, 1),
        ("exit %r0", .operandCount, 1),
        ("\n\nja NOT_A_LABEL\nexit", .invalidLabel, 3),
        ("x:\nx:\nexit", .duplicateLabel, 2),
        ("lock or [%r10-8]", .operandCount, 1),
        ("lock", .operandCount, 1),
        ("lock nand [%r10-8], %r1", .invalidMnemonic, 1),
        ("call far 5", .invalidOperand, 1),
        ("movsx3232 %r0, %r1", .invalidMnemonic, 1),
    ] as [(String, AssemblerError.Kind, Int)])
    func rejects(_ source: String, _ kind: AssemblerError.Kind, _ line: Int) {
        #expect(throws: AssemblerError.self) { try Assembler.assemble(source) }
        do {
            _ = try Assembler.assemble(source, firstLine: 10)
        } catch {
            #expect(error.kind == kind, "\(source): \(error)")
            #expect(error.line == line + 9, "\(source): \(error)")
            #expect(error.description.hasPrefix("line \(line + 9): "))
        }
    }
}
