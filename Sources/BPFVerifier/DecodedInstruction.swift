/// One pre-decoded instruction: what the VM's interpreter loop switches on. Built once by
/// `ProgramDecoder` (which `BPFVerifier.verify` runs on every program it accepts); 16 bytes, no
/// references.
///
/// - `offset`: the memory offset of loads, stores and atomics; the absolute target of jumps and
///   bpf-to-bpf calls.
/// - `immediate`: the sign-extended immediate (the full 64-bit constant for `ld_imm64`, the helper
///   or kfunc table index for calls once the VM has linked the program; before, see
///   `DecodedProgram.links`).
@frozen
public struct DecodedInstruction: Sendable, Hashable {
    public var op: Op
    public var dst: UInt8
    public var src: UInt8
    public var offset: Int32
    public var immediate: UInt64

    @inlinable
    public init(_ op: Op, dst: UInt8 = 0, src: UInt8 = 0, offset: Int32 = 0, immediate: UInt64 = 0) {
        self.op = op
        self.dst = dst
        self.src = src
        self.offset = offset
        self.immediate = immediate
    }
}

extension DecodedInstruction {
    /// The interpreter's operations. `K` forms take the immediate, `X` forms the source register.
    @frozen
    public enum Op: UInt8, Sendable, Hashable {
        // ALU64
        case add64K, add64X, sub64K, sub64X, mul64K, mul64X, div64K, div64X, sdiv64K, sdiv64X
        case or64K, or64X, and64K, and64X, lsh64K, lsh64X, rsh64K, rsh64X, neg64
        case mod64K, mod64X, smod64K, smod64X, xor64K, xor64X, mov64K, mov64X, arsh64K, arsh64X
        case movsx64b, movsx64h, movsx64w
        // ALU32 (results zero-extended)
        case add32K, add32X, sub32K, sub32X, mul32K, mul32X, div32K, div32X, sdiv32K, sdiv32X
        case or32K, or32X, and32K, and32X, lsh32K, lsh32X, rsh32K, rsh32X, neg32
        case mod32K, mod32X, smod32K, smod32X, xor32K, xor32X, mov32K, mov32X, arsh32K, arsh32X
        case movsx32b, movsx32h
        // Byte order (on the little-endian VM: le = truncate, be/bswap = swap)
        case zext16, zext32, nop, bswap16, bswap32, bswap64
        // ld_imm64 (two slots)
        case lddw
        // Jumps
        case ja
        case jeq64K, jeq64X, jgt64K, jgt64X, jge64K, jge64X, jset64K, jset64X, jne64K, jne64X
        case jsgt64K, jsgt64X, jsge64K, jsge64X, jlt64K, jlt64X, jle64K, jle64X
        case jslt64K, jslt64X, jsle64K, jsle64X
        case jeq32K, jeq32X, jgt32K, jgt32X, jge32K, jge32X, jset32K, jset32X, jne32K, jne32X
        case jsgt32K, jsgt32X, jsge32K, jsge32X, jlt32K, jlt32X, jle32K, jle32X
        case jslt32K, jslt32X, jsle32K, jsle32X
        // Memory
        case ldxb, ldxh, ldxw, ldxdw, ldxsb, ldxsh, ldxsw
        case stb, sth, stw, stdw, stxb, stxh, stxw, stxdw
        case atomicAdd32, atomicOr32, atomicAnd32, atomicXor32
        case atomicFetchAdd32, atomicFetchOr32, atomicFetchAnd32, atomicFetchXor32, xchg32, cmpxchg32
        case atomicAdd64, atomicOr64, atomicAnd64, atomicXor64
        case atomicFetchAdd64, atomicFetchOr64, atomicFetchAnd64, atomicFetchXor64, xchg64, cmpxchg64
        // Calls
        /// `immediate` = the helper number as decoded; the index in the machine's resolved helper list once linked.
        case callHelper
        /// `dst` holds the helper number at run time (`callx`).
        case callx
        /// `offset` = absolute target.
        case callLocal
        /// `immediate` = the BTF id as decoded; the index in the machine's resolved kfunc list once linked.
        case callKfunc
        case exit
        /// Never executed in a valid program: the second slot of `ld_imm64` and the slot past the end.
        case trap
        /// `may_goto`: jumps to `offset` once the frame's loop allowance is spent, else uses one.
        case mayGoto
    }
}
