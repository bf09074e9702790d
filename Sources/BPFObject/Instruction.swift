/// One 64-bit BPF instruction slot as the kernel defines it (`struct bpf_insn`): an opcode byte,
/// the destination register in the low nibble and the source register in the high nibble of the
/// second byte, a signed 16-bit offset and a signed 32-bit immediate, little-endian.
///
/// `ld_imm64` takes two slots; the second carries the upper 32 bits of the constant in its
/// immediate. This type holds one slot and never interprets it: decoding lives with the users
/// (the disassembler, the verifier, the VM's pre-decoder).
public struct Instruction: Hashable, Sendable {
    public var opcode: UInt8
    /// Destination register in bits 0-3, source register in bits 4-7.
    public var registers: UInt8
    public var offset: Int16
    public var immediate: Int32

    public init(opcode: UInt8, destination: UInt8 = 0, source: UInt8 = 0, offset: Int16 = 0, immediate: Int32 = 0) {
        self.opcode = opcode
        self.registers = (destination & 0x0F) | (source << 4)
        self.offset = offset
        self.immediate = immediate
    }

    /// Decodes one slot from 8 little-endian bytes.
    public init(bytes: some Collection<UInt8>) {
        precondition(bytes.count == 8, "a BPF instruction slot has 8 bytes")
        let b = Array(bytes)
        opcode = b[0]
        registers = b[1]
        offset = Int16(bitPattern: UInt16(b[2]) | UInt16(b[3]) << 8)
        immediate = Int32(bitPattern: UInt32(b[4]) | UInt32(b[5]) << 8 | UInt32(b[6]) << 16 | UInt32(b[7]) << 24)
    }

    /// The destination register number (0-15; 0-10 are valid).
    public var destination: UInt8 {
        get { registers & 0x0F }
        set { registers = (registers & 0xF0) | (newValue & 0x0F) }
    }

    /// The source register number (0-15; 0-10 are valid). For `call` and `ld_imm64` it selects a
    /// pseudo form (BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, ...).
    public var source: UInt8 {
        get { registers >> 4 }
        set { registers = (registers & 0x0F) | (newValue << 4) }
    }

    /// The instruction class: the low three bits of the opcode.
    public var instructionClass: UInt8 { opcode & 0x07 }

    /// Whether this slot starts a two-slot `ld_imm64` (BPF_LD | BPF_IMM | BPF_DW, opcode 0x18).
    public var isWideLoad: Bool { opcode == 0x18 }

    /// The 8 little-endian bytes of the slot.
    public var bytes: [UInt8] {
        let off = UInt16(bitPattern: offset)
        let imm = UInt32(bitPattern: immediate)
        return [
            opcode, registers, UInt8(off & 0xFF), UInt8(off >> 8),
            UInt8(imm & 0xFF), UInt8(imm >> 8 & 0xFF), UInt8(imm >> 16 & 0xFF), UInt8(imm >> 24),
        ]
    }

    /// Decodes a whole program of 8-byte slots; trailing bytes that do not fill a slot are an error
    /// for the caller to report, so they are returned as the second value.
    public static func decode(_ bytes: some Collection<UInt8>) -> (instructions: [Instruction], trailing: Int) {
        let array = Array(bytes)
        let count = array.count / 8
        var result: [Instruction] = []
        result.reserveCapacity(count)
        for i in 0..<count { result.append(Instruction(bytes: array[(i * 8)..<(i * 8 + 8)])) }
        return (result, array.count - count * 8)
    }
}
