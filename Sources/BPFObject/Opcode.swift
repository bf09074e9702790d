/// The fields of a BPF opcode byte (`include/uapi/linux/bpf_common.h`, `bpf.h`, RFC 9669), shared
/// by the assembler, the disassembler, the verifier and the VM's pre-decoder.
///
/// An opcode is `class | ...`: for ALU/JMP classes `op (4 bits) | source (1 bit) | class (3 bits)`,
/// for load/store classes `mode (3 bits) | size (2 bits) | class (3 bits)`.
public enum Opcode {
    // MARK: Classes (low 3 bits)
    public static let classLD: UInt8 = 0x00
    public static let classLDX: UInt8 = 0x01
    public static let classST: UInt8 = 0x02
    public static let classSTX: UInt8 = 0x03
    public static let classALU: UInt8 = 0x04
    public static let classJMP: UInt8 = 0x05
    public static let classJMP32: UInt8 = 0x06
    public static let classALU64: UInt8 = 0x07

    // MARK: Source (bit 3) for ALU and JMP classes
    /// The operand is the immediate (`BPF_K`).
    public static let sourceK: UInt8 = 0x00
    /// The operand is the source register (`BPF_X`); for the byte-swap op, "to big-endian".
    public static let sourceX: UInt8 = 0x08

    // MARK: ALU operations (high 4 bits)
    public static let aluAdd: UInt8 = 0x00
    public static let aluSub: UInt8 = 0x10
    public static let aluMul: UInt8 = 0x20
    public static let aluDiv: UInt8 = 0x30
    public static let aluOr: UInt8 = 0x40
    public static let aluAnd: UInt8 = 0x50
    public static let aluLsh: UInt8 = 0x60
    public static let aluRsh: UInt8 = 0x70
    public static let aluNeg: UInt8 = 0x80
    public static let aluMod: UInt8 = 0x90
    public static let aluXor: UInt8 = 0xA0
    public static let aluMov: UInt8 = 0xB0
    public static let aluArsh: UInt8 = 0xC0
    public static let aluEnd: UInt8 = 0xD0

    // MARK: Jump operations (high 4 bits)
    public static let jmpJA: UInt8 = 0x00
    public static let jmpJEQ: UInt8 = 0x10
    public static let jmpJGT: UInt8 = 0x20
    public static let jmpJGE: UInt8 = 0x30
    public static let jmpJSET: UInt8 = 0x40
    public static let jmpJNE: UInt8 = 0x50
    public static let jmpJSGT: UInt8 = 0x60
    public static let jmpJSGE: UInt8 = 0x70
    public static let jmpCall: UInt8 = 0x80
    public static let jmpExit: UInt8 = 0x90
    public static let jmpJLT: UInt8 = 0xA0
    public static let jmpJLE: UInt8 = 0xB0
    public static let jmpJSLT: UInt8 = 0xC0
    public static let jmpJSLE: UInt8 = 0xD0

    // MARK: Sizes (bits 3-4) for load/store classes
    public static let sizeW: UInt8 = 0x00
    public static let sizeH: UInt8 = 0x08
    public static let sizeB: UInt8 = 0x10
    public static let sizeDW: UInt8 = 0x18

    // MARK: Modes (high 3 bits) for load/store classes
    public static let modeIMM: UInt8 = 0x00
    public static let modeABS: UInt8 = 0x20
    public static let modeIND: UInt8 = 0x40
    public static let modeMEM: UInt8 = 0x60
    /// Sign-extending loads (`ldxs*`, ISA v4).
    public static let modeMEMSX: UInt8 = 0x80
    public static let modeATOMIC: UInt8 = 0xC0

    // MARK: Atomic operations (in the immediate of BPF_STX | BPF_ATOMIC)
    public static let atomicFetch: Int32 = 0x01
    public static let atomicAdd: Int32 = 0x00
    public static let atomicOr: Int32 = 0x40
    public static let atomicAnd: Int32 = 0x50
    public static let atomicXor: Int32 = 0xA0
    /// `BPF_XCHG` = 0xe0 | BPF_FETCH.
    public static let atomicXchg: Int32 = 0xE1
    /// `BPF_CMPXCHG` = 0xf0 | BPF_FETCH.
    public static let atomicCmpxchg: Int32 = 0xF1
    /// Load-acquire and store-release (6.15+), any size.
    public static let atomicLoadAcquire: Int32 = 0x100
    public static let atomicStoreRelease: Int32 = 0x110

    // MARK: Pseudo source registers
    /// `call` with src = 1: a bpf-to-bpf call, imm = relative target.
    public static let pseudoCall: UInt8 = 1
    /// `call` with src = 2: a kfunc call, imm = BTF id.
    public static let pseudoKfuncCall: UInt8 = 2
    /// `ld_imm64` src values.
    public static let pseudoMapFD: UInt8 = 1
    public static let pseudoMapValue: UInt8 = 2
    public static let pseudoBTFID: UInt8 = 3
    public static let pseudoFunc: UInt8 = 4
    public static let pseudoMapIndex: UInt8 = 5
    public static let pseudoMapIndexValue: UInt8 = 6

    // MARK: Whole opcodes used on their own
    /// `ld_imm64` (BPF_LD | BPF_IMM | BPF_DW).
    public static let loadImm64: UInt8 = 0x18
    public static let call: UInt8 = 0x85
    /// `callx`: call the helper whose number is in the destination register.
    public static let callx: UInt8 = 0x8D
    public static let exit: UInt8 = 0x95
    public static let ja: UInt8 = 0x05
    /// `gotol`/`ja32`: JMP32 | JA, target in the immediate.
    public static let ja32: UInt8 = 0x06
    /// `may_goto` (JMP | JCOND, 6.9+): jump once the loop allowance runs out, else fall through.
    public static let mayGoto: UInt8 = 0xE5
}
