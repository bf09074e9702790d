import BPFObject
import Testing

@Suite struct DisassemblerTests {
    static let cases: [(Instruction, String)] = [
        (Instruction(opcode: 0x61, destination: 2, source: 1, offset: 4), "(61) r2 = *(u32 *)(r1 +4)"),
        (Instruction(opcode: 0x7B, destination: 10, source: 1, offset: -8), "(7b) *(u64 *)(r10 -8) = r1"),
        (Instruction(opcode: 0xB4, destination: 0, immediate: 2), "(b4) w0 = 2"),
        (Instruction(opcode: 0x07, destination: 3, immediate: 14), "(07) r3 += 14"),
        (Instruction(opcode: 0x2D, destination: 3, source: 2, offset: 4), "(2d) if r3 > r2 goto pc+4"),
        (Instruction(opcode: 0x55, destination: 0, offset: -3, immediate: -1), "(55) if r0 != 0xffffffff goto pc-3"),
        (Instruction(opcode: 0x85, immediate: 1), "(85) call bpf_map_lookup_elem#1"),
        (Instruction(opcode: 0x85, source: 1, immediate: 5), "(85) call pc+5"),
        (Instruction(opcode: 0x95), "(95) exit"),
        (Instruction(opcode: 0x05, offset: 0), "(05) goto pc+0"),
        (Instruction(opcode: 0x06, immediate: -2), "(06) gotol pc-2"),
        (Instruction(opcode: 0xBF, destination: 1, source: 2, offset: 8), "(bf) r1 = (s8)r2"),
        (Instruction(opcode: 0x3F, destination: 1, source: 2, offset: 1), "(3f) r1 s/= r2"),
        (Instruction(opcode: 0x91, destination: 1, source: 2, offset: 3), "(91) r1 = *(s8 *)(r2 +3)"),
        (Instruction(opcode: 0xDC, destination: 1, immediate: 16), "(dc) r1 = be16 r1"),
        (Instruction(opcode: 0xD7, destination: 1, immediate: 32), "(d7) r1 = bswap32 r1"),
        (Instruction(opcode: 0x84, destination: 4), "(84) w4 = -w4"),
        (Instruction(opcode: 0xDB, destination: 10, source: 1, offset: -8, immediate: 0), "(db) lock *(u64 *)(r10 -8) += r1"),
        (Instruction(opcode: 0xC3, destination: 1, source: 2, immediate: 0x51), "(c3) r2 = atomic_fetch_and((u32 *)(r1 +0), r2)"),
        (Instruction(opcode: 0xDB, destination: 1, source: 2, immediate: 0xF1), "(db) r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)"),
        (Instruction(opcode: 0xDB, destination: 1, source: 2, immediate: 0xE1), "(db) r2 = atomic64_xchg((u64 *)(r1 +0), r2)"),
        (Instruction(opcode: 0x72, destination: 1, offset: 2, immediate: 7), "(72) *(u8 *)(r1 +2) = 7"),
        (Instruction(opcode: 0x1E, destination: 1, source: 2, offset: 1), "(1e) if w1 == w2 goto pc+1"),
        (Instruction(opcode: 0x30, immediate: 12), "(30) r0 = *(u8 *)skb[12]"),
    ]

    @Test func kernelLogSyntax() {
        let d = Disassembler()
        for (insn, text) in Self.cases { #expect(d.text(insn) == text) }
        let wide = Instruction(opcode: 0x18, destination: 1, immediate: 0x10)
        #expect(d.text(wide, next: Instruction(opcode: 0, immediate: 1)) == "(18) r1 = 0x100000010")
        #expect(d.text(Instruction(opcode: 0x85, source: 2, immediate: 66124)) == "(85) call kernel-function#66124")
    }

    @Test func linesSkipTheSecondWideSlotAndShowSource() {
        let program = [Instruction(opcode: 0x18, destination: 1), Instruction(opcode: 0), Instruction(opcode: 0x95)]
        let info = [BTFExt.LineInfo(instruction: 2, fileName: "/x/a.bpf.c", line: "\treturn 0;", lineNumber: 9, column: 2)]
        #expect(Disassembler().lines(program, lineInfo: info) == ["0: (18) r1 = 0x0", "; return 0; @ a.bpf.c:9", "2: (95) exit"])
    }
}
