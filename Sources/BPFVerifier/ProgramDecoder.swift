import BPFObject
import Synchronization

/// Validates raw instruction slots and turns them into the VM's decoded form, once.
///
/// `BPFVerifier.verify` runs it on every program it accepts and hands the result to the VM inside
/// a `VerifiedProgram`; the VM runs it itself only for programs loaded without the verifier (the
/// conformance suite, raw bytecode), where these checks are all the VM has.
///
/// What it checks (what the VM's loader guarantees the interpreter): every opcode is one of the
/// ISA (through v4), every reserved field is zero (RFC 9669's "unused" fields: the
/// `negative/unused-*` cases of the conformance suite), registers are r0...r10 and r10 is never
/// written, every jump and call lands on an instruction inside the program and never on the
/// second slot of `ld_imm64`. Helpers, kfuncs and maps are the machine's: they are listed in
/// `DecodedProgram.links` for the machine to resolve when it loads the program. What it does not
/// check is what only a verifier can (types, bounds, initialization).
public struct ProgramDecoder {
    let instructions: [Instruction]
    let kfuncNames: [Int: String]
    var code: [DecodedInstruction] = []
    var links: [(slot: Int, link: DecodedProgram.Link)] = []
    /// Slots that hold the second half of an ld_imm64.
    var secondSlots: Set<Int> = []
    var targets: [(from: Int, to: Int)] = []

    public static let maxSlots = 1_000_000
    /// The value of an `ld_imm64` BPF_PSEUDO_FUNC: a code address (tag 0xFFFFFFFF, never memory).
    public static let functionTag: UInt64 = 0xFFFF_FFFF << 32

    /// Counts decodes in the current task when set (tests use it to prove a program is decoded once).
    @TaskLocal public static var counter: DecodeCounter?

    /// Decodes `instructions`.
    /// - Parameter kfuncNames: kfunc names by instruction index (the object's relocations).
    /// - Throws: `DecodingError` for the first slot the VM cannot run.
    public static func decode(_ instructions: [Instruction], kfuncNames: [Int: String] = [:]) throws(DecodingError) -> DecodedProgram {
        counter?.increment()
        var decoder = ProgramDecoder(instructions: instructions, kfuncNames: kfuncNames)
        return try decoder.decode()
    }

    init(instructions: [Instruction], kfuncNames: [Int: String]) {
        self.instructions = instructions
        self.kfuncNames = kfuncNames
    }

    mutating func decode() throws(DecodingError) -> DecodedProgram {
        guard !instructions.isEmpty else { throw DecodingError(.invalidProgram, at: 0, "the program has no instructions") }
        guard instructions.count <= Self.maxSlots else {
            throw DecodingError(.invalidProgram, at: 0, "the program has \(instructions.count) instructions (limit \(Self.maxSlots))")
        }
        code.reserveCapacity(instructions.count + 1)
        var i = 0
        while i < instructions.count {
            let decoded = try decodeSlot(i)
            code.append(decoded)
            if decoded.op == .lddw {
                code.append(DecodedInstruction(.trap))
                secondSlots.insert(i + 1)
                i += 2
            } else {
                i += 1
            }
        }
        // The slot past the end: falling off the program traps.
        code.append(DecodedInstruction(.trap))
        for (from, to) in targets {
            guard to >= 0, to < instructions.count else {
                throw DecodingError(.invalidInstruction, at: from, "jump out of range: target \(to), the program has \(instructions.count) instructions")
            }
            guard !secondSlots.contains(to) else {
                throw DecodingError(.invalidInstruction, at: from, "jump into the middle of ld_imm64 at \(to - 1)")
            }
        }
        return DecodedProgram(code: code, slotCount: instructions.count, links: links)
    }

    private func invalid(_ i: Int, _ message: String) -> DecodingError {
        DecodingError(.invalidInstruction, at: i, "\(message) (opcode 0x\(hex(instructions[i].opcode)))")
    }

    private func register(_ r: UInt8, _ i: Int, write: Bool = false) throws(DecodingError) -> UInt8 {
        guard r <= 10 else { throw invalid(i, "invalid register r\(r)") }
        if write && r == 10 { throw invalid(i, "r10 (the frame pointer) is read only") }
        return r
    }

    private func zero(_ i: Int, src: Bool = false, dst: Bool = false, offset: Bool = false, imm: Bool = false) throws(DecodingError) {
        let insn = instructions[i]
        if src && insn.source != 0 { throw invalid(i, "reserved source register field is \(insn.source), must be 0") }
        if dst && insn.destination != 0 { throw invalid(i, "reserved destination register field is \(insn.destination), must be 0") }
        if offset && insn.offset != 0 { throw invalid(i, "reserved offset field is \(insn.offset), must be 0") }
        if imm && insn.immediate != 0 { throw invalid(i, "reserved immediate field is \(insn.immediate), must be 0") }
    }

    private mutating func decodeSlot(_ i: Int) throws(DecodingError) -> DecodedInstruction {
        let insn = instructions[i]
        switch insn.instructionClass {
        case Opcode.classALU, Opcode.classALU64: return try decodeALU(i)
        case Opcode.classJMP, Opcode.classJMP32: return try decodeJump(i)
        case Opcode.classLD: return try decodeLoadImm64(i)
        case Opcode.classLDX:
            try zero(i, imm: true)
            let dst = try register(insn.destination, i, write: true)
            let src = try register(insn.source, i)
            let op: Op
            switch insn.opcode {
            case 0x71: op = .ldxb
            case 0x69: op = .ldxh
            case 0x61: op = .ldxw
            case 0x79: op = .ldxdw
            case 0x91: op = .ldxsb
            case 0x89: op = .ldxsh
            case 0x81: op = .ldxsw
            default: throw invalid(i, "unknown load opcode")
            }
            return DecodedInstruction(op, dst: dst, src: src, offset: Int32(insn.offset))
        case Opcode.classST:
            try zero(i, src: true)
            let dst = try register(insn.destination, i)
            let op: Op
            switch insn.opcode {
            case 0x72: op = .stb
            case 0x6A: op = .sth
            case 0x62: op = .stw
            case 0x7A: op = .stdw
            default: throw invalid(i, "unknown store opcode")
            }
            return DecodedInstruction(op, dst: dst, offset: Int32(insn.offset), immediate: signExtended(insn.immediate))
        default:  // STX
            let dst = try register(insn.destination, i)
            let src = try register(insn.source, i)
            switch insn.opcode {
            case 0x73, 0x6B, 0x63, 0x7B:
                try zero(i, imm: true)
                let op: Op = insn.opcode == 0x73 ? .stxb : insn.opcode == 0x6B ? .stxh : insn.opcode == 0x63 ? .stxw : .stxdw
                return DecodedInstruction(op, dst: dst, src: src, offset: Int32(insn.offset))
            case _ where [0xC3, 0xDB, 0xCB, 0xD3].contains(insn.opcode)
                && (insn.immediate == Opcode.atomicLoadAcquire || insn.immediate == Opcode.atomicStoreRelease):
                // load-acquire / store-release: one thread sees them as a plain load and store
                let size = Int(insn.opcode >> 3) & 3  // W, H, B, DW
                if insn.immediate == Opcode.atomicLoadAcquire {
                    _ = try register(dst, i, write: true)
                    let op: Op = [.ldxw, .ldxh, .ldxb, .ldxdw][size]
                    return DecodedInstruction(op, dst: dst, src: src, offset: Int32(insn.offset))
                }
                let op: Op = [.stxw, .stxh, .stxb, .stxdw][size]
                return DecodedInstruction(op, dst: dst, src: src, offset: Int32(insn.offset))
            case 0xC3, 0xDB:
                let wide = insn.opcode == 0xDB
                let op: Op
                switch insn.immediate {
                case Opcode.atomicAdd: op = wide ? .atomicAdd64 : .atomicAdd32
                case Opcode.atomicOr: op = wide ? .atomicOr64 : .atomicOr32
                case Opcode.atomicAnd: op = wide ? .atomicAnd64 : .atomicAnd32
                case Opcode.atomicXor: op = wide ? .atomicXor64 : .atomicXor32
                case Opcode.atomicAdd | Opcode.atomicFetch: op = wide ? .atomicFetchAdd64 : .atomicFetchAdd32
                case Opcode.atomicOr | Opcode.atomicFetch: op = wide ? .atomicFetchOr64 : .atomicFetchOr32
                case Opcode.atomicAnd | Opcode.atomicFetch: op = wide ? .atomicFetchAnd64 : .atomicFetchAnd32
                case Opcode.atomicXor | Opcode.atomicFetch: op = wide ? .atomicFetchXor64 : .atomicFetchXor32
                case Opcode.atomicXchg: op = wide ? .xchg64 : .xchg32
                case Opcode.atomicCmpxchg: op = wide ? .cmpxchg64 : .cmpxchg32
                default: throw invalid(i, "unknown atomic operation 0x\(hex(UInt32(bitPattern: insn.immediate)))")
                }
                if insn.immediate & Opcode.atomicFetch != 0, op != .cmpxchg32, op != .cmpxchg64 {
                    _ = try register(src, i, write: true)
                }
                return DecodedInstruction(op, dst: dst, src: src, offset: Int32(insn.offset))
            default:
                throw invalid(i, "unknown store opcode")
            }
        }
    }

    private mutating func decodeALU(_ i: Int) throws(DecodingError) -> DecodedInstruction {
        let insn = instructions[i]
        let wide = insn.instructionClass == Opcode.classALU64
        let byRegister = insn.opcode & Opcode.sourceX != 0
        let operation = insn.opcode & 0xF0
        let dst = try register(insn.destination, i, write: true)
        func pick(_ k64: Op, _ x64: Op, _ k32: Op, _ x32: Op) -> Op { wide ? (byRegister ? x64 : k64) : (byRegister ? x32 : k32) }

        switch operation {
        case Opcode.aluNeg:
            if byRegister { throw invalid(i, "neg takes no source") }
            try zero(i, src: true, offset: true, imm: true)
            return DecodedInstruction(wide ? .neg64 : .neg32, dst: dst)
        case Opcode.aluEnd:
            if wide && byRegister { throw invalid(i, "unknown byte-swap opcode") }
            try zero(i, src: true, offset: true)
            let op: Op
            switch (wide || byRegister, insn.immediate) {
            case (false, 16): op = .zext16
            case (false, 32): op = .zext32
            case (false, 64): op = .nop
            case (true, 16): op = .bswap16
            case (true, 32): op = .bswap32
            case (true, 64): op = .bswap64
            default: throw invalid(i, "byte swap width \(insn.immediate) is not 16, 32 or 64")
            }
            return DecodedInstruction(op, dst: dst)
        case 0xE0, 0xF0:
            throw invalid(i, "unknown ALU operation")
        default:
            break
        }

        // Offsets allowed: 1 for sdiv/smod, 8/16(/32) for movsx, else 0.
        let op: Op
        switch (operation, insn.offset) {
        case (Opcode.aluAdd, 0): op = pick(.add64K, .add64X, .add32K, .add32X)
        case (Opcode.aluSub, 0): op = pick(.sub64K, .sub64X, .sub32K, .sub32X)
        case (Opcode.aluMul, 0): op = pick(.mul64K, .mul64X, .mul32K, .mul32X)
        case (Opcode.aluDiv, 0): op = pick(.div64K, .div64X, .div32K, .div32X)
        case (Opcode.aluDiv, 1): op = pick(.sdiv64K, .sdiv64X, .sdiv32K, .sdiv32X)
        case (Opcode.aluOr, 0): op = pick(.or64K, .or64X, .or32K, .or32X)
        case (Opcode.aluAnd, 0): op = pick(.and64K, .and64X, .and32K, .and32X)
        case (Opcode.aluLsh, 0): op = pick(.lsh64K, .lsh64X, .lsh32K, .lsh32X)
        case (Opcode.aluRsh, 0): op = pick(.rsh64K, .rsh64X, .rsh32K, .rsh32X)
        case (Opcode.aluMod, 0): op = pick(.mod64K, .mod64X, .mod32K, .mod32X)
        case (Opcode.aluMod, 1): op = pick(.smod64K, .smod64X, .smod32K, .smod32X)
        case (Opcode.aluXor, 0): op = pick(.xor64K, .xor64X, .xor32K, .xor32X)
        case (Opcode.aluMov, 0): op = pick(.mov64K, .mov64X, .mov32K, .mov32X)
        case (Opcode.aluArsh, 0): op = pick(.arsh64K, .arsh64X, .arsh32K, .arsh32X)
        case (Opcode.aluMov, 8) where byRegister: op = wide ? .movsx64b : .movsx32b
        case (Opcode.aluMov, 16) where byRegister: op = wide ? .movsx64h : .movsx32h
        case (Opcode.aluMov, 32) where byRegister && wide: op = .movsx64w
        default:
            throw invalid(i, "reserved offset field is \(insn.offset), must be 0")
        }
        if byRegister {
            try zero(i, imm: true)
            return DecodedInstruction(op, dst: dst, src: try register(insn.source, i))
        }
        try zero(i, src: true)
        let imm = wide ? signExtended(insn.immediate) : UInt64(UInt32(bitPattern: insn.immediate))
        return DecodedInstruction(op, dst: dst, immediate: imm)
    }

    private mutating func decodeJump(_ i: Int) throws(DecodingError) -> DecodedInstruction {
        let insn = instructions[i]
        let wide = insn.instructionClass == Opcode.classJMP
        let byRegister = insn.opcode & Opcode.sourceX != 0
        let operation = insn.opcode & 0xF0
        switch operation {
        case Opcode.jmpJA:
            if byRegister { throw invalid(i, "unknown jump opcode") }
            if wide {
                try zero(i, src: true, dst: true, imm: true)
                let target = i + 1 + Int(insn.offset)
                targets.append((i, target))
                return DecodedInstruction(.ja, offset: Int32(target))
            }
            try zero(i, src: true, dst: true, offset: true)
            let target = i + 1 + Int(insn.immediate)
            targets.append((i, target))
            return DecodedInstruction(.ja, offset: Int32(clamping: target))
        case 0xE0 where insn.opcode == Opcode.mayGoto:
            try zero(i, src: true, dst: true, imm: true)
            let target = i + 1 + Int(insn.offset)
            targets.append((i, target))
            return DecodedInstruction(.mayGoto, offset: Int32(target))
        case Opcode.jmpCall:
            guard wide else { throw invalid(i, "unknown jump opcode") }
            if byRegister {
                try zero(i, src: true, offset: true, imm: true)
                return DecodedInstruction(.callx, dst: try register(insn.destination, i))
            }
            try zero(i, dst: true, offset: true)
            switch insn.source {
            case 0:
                links.append((i, .helper(id: insn.immediate)))
                return DecodedInstruction(.callHelper, immediate: signExtended(insn.immediate))
            case Opcode.pseudoCall:
                let target = i + 1 + Int(insn.immediate)
                targets.append((i, target))
                return DecodedInstruction(.callLocal, offset: Int32(clamping: target))
            case Opcode.pseudoKfuncCall:
                links.append((i, .kfunc(name: kfuncNames[i], btfID: insn.immediate)))
                return DecodedInstruction(.callKfunc, immediate: signExtended(insn.immediate))
            default:
                throw invalid(i, "unknown call kind (source register \(insn.source))")
            }
        case Opcode.jmpExit:
            guard wide, !byRegister else { throw invalid(i, "unknown jump opcode") }
            try zero(i, src: true, dst: true, offset: true, imm: true)
            return DecodedInstruction(.exit)
        case 0xE0, 0xF0:
            throw invalid(i, "unknown jump opcode")
        default:
            break
        }
        let dst = try register(insn.destination, i)
        let op: Op
        func pick(_ k64: Op, _ x64: Op, _ k32: Op, _ x32: Op) -> Op { wide ? (byRegister ? x64 : k64) : (byRegister ? x32 : k32) }
        switch operation {
        case Opcode.jmpJEQ: op = pick(.jeq64K, .jeq64X, .jeq32K, .jeq32X)
        case Opcode.jmpJGT: op = pick(.jgt64K, .jgt64X, .jgt32K, .jgt32X)
        case Opcode.jmpJGE: op = pick(.jge64K, .jge64X, .jge32K, .jge32X)
        case Opcode.jmpJSET: op = pick(.jset64K, .jset64X, .jset32K, .jset32X)
        case Opcode.jmpJNE: op = pick(.jne64K, .jne64X, .jne32K, .jne32X)
        case Opcode.jmpJSGT: op = pick(.jsgt64K, .jsgt64X, .jsgt32K, .jsgt32X)
        case Opcode.jmpJSGE: op = pick(.jsge64K, .jsge64X, .jsge32K, .jsge32X)
        case Opcode.jmpJLT: op = pick(.jlt64K, .jlt64X, .jlt32K, .jlt32X)
        case Opcode.jmpJLE: op = pick(.jle64K, .jle64X, .jle32K, .jle32X)
        case Opcode.jmpJSLT: op = pick(.jslt64K, .jslt64X, .jslt32K, .jslt32X)
        default: op = pick(.jsle64K, .jsle64X, .jsle32K, .jsle32X)
        }
        let target = i + 1 + Int(insn.offset)
        targets.append((i, target))
        if byRegister {
            try zero(i, imm: true)
            return DecodedInstruction(op, dst: dst, src: try register(insn.source, i), offset: Int32(target))
        }
        try zero(i, src: true)
        let imm = wide ? signExtended(insn.immediate) : UInt64(UInt32(bitPattern: insn.immediate))
        return DecodedInstruction(op, dst: dst, offset: Int32(target), immediate: imm)
    }

    private mutating func decodeLoadImm64(_ i: Int) throws(DecodingError) -> DecodedInstruction {
        let insn = instructions[i]
        guard insn.opcode == Opcode.loadImm64 else {
            if insn.opcode & 0xE0 == Opcode.modeABS || insn.opcode & 0xE0 == Opcode.modeIND {
                throw invalid(i, "legacy packet access (BPF_ABS/BPF_IND) is not supported")
            }
            throw invalid(i, "unknown load opcode")
        }
        try zero(i, offset: true)
        guard i + 1 < instructions.count else { throw invalid(i, "ld_imm64 without its second slot") }
        let next = instructions[i + 1]
        guard next.opcode == 0, next.registers == 0, next.offset == 0 else {
            throw DecodingError(.invalidInstruction, at: i + 1, "the second slot of ld_imm64 must have opcode, registers and offset 0")
        }
        let dst = try register(insn.destination, i, write: true)
        let low = UInt64(UInt32(bitPattern: insn.immediate))
        let high = UInt64(UInt32(bitPattern: next.immediate))
        switch insn.source {
        case 0:
            return DecodedInstruction(.lddw, dst: dst, immediate: high << 32 | low)
        case Opcode.pseudoMapFD, Opcode.pseudoMapIndex:
            guard high == 0 else { throw invalid(i, "map reference with a non-zero second immediate") }
            let map = try map(insn.immediate, i)
            links.append((i, .mapObject(index: map)))
            return DecodedInstruction(.lddw, dst: dst, immediate: UInt64(map))
        case Opcode.pseudoMapValue, Opcode.pseudoMapIndexValue:
            let map = try map(insn.immediate, i)
            links.append((i, .mapValue(index: map, offset: Int(high))))
            return DecodedInstruction(.lddw, dst: dst, immediate: UInt64(map))
        case Opcode.pseudoFunc:
            let target = i + 1 + Int(insn.immediate)
            targets.append((i, target))
            return DecodedInstruction(.lddw, dst: dst, immediate: Self.functionTag | UInt64(UInt32(clamping: max(target, 0))))
        default:
            throw invalid(i, "ld_imm64 kind \(insn.source) is not supported")
        }
    }

    private func map(_ fd: Int32, _ i: Int) throws(DecodingError) -> Int {
        guard fd >= 0 else { throw DecodingError(.invalidProgram, at: i, "ld_imm64 references map \(fd), which does not exist") }
        return Int(fd)
    }
}

@inline(__always)
func signExtended(_ value: Int32) -> UInt64 { UInt64(bitPattern: Int64(value)) }

typealias Op = DecodedInstruction.Op

func hex<T: BinaryInteger>(_ value: T) -> String { String(value, radix: 16) }

/// Counts `ProgramDecoder.decode` calls made while it is the task's `ProgramDecoder.counter`.
public final class DecodeCounter: Sendable {
    private let value = Atomic<Int>(0)
    public init() {}
    /// Decodes counted so far.
    public var count: Int { value.load(ordering: .relaxed) }
    func increment() { value.add(1, ordering: .relaxed) }
}
