import BPFObject
import Testing

@Suite struct InstructionTests {
    @Test func slotsRoundTripThroughBytes() {
        // r0 = *(u32 *)(r1 + -4); an exit; a ld_imm64 first slot with src = BPF_PSEUDO_MAP_VALUE.
        let slots: [[UInt8]] = [
            [0x61, 0x10, 0xFC, 0xFF, 0, 0, 0, 0], [0x95, 0, 0, 0, 0, 0, 0, 0], [0x18, 0x21, 0, 0, 0x78, 0x56, 0x34, 0x12],
        ]
        for bytes in slots { #expect(Instruction(bytes: bytes).bytes == bytes) }
        let load = Instruction(bytes: slots[0])
        #expect(load.opcode == 0x61 && load.destination == 0 && load.source == 1 && load.offset == -4)
        let wide = Instruction(bytes: slots[2])
        #expect(wide.isWideLoad && wide.destination == 1 && wide.source == 2 && wide.immediate == 0x1234_5678)
        let decoded = Instruction.decode(slots.flatMap { $0 } + [1, 2, 3])
        #expect(decoded.instructions.count == 3 && decoded.trailing == 3)
    }
}
