import BPFObject

/// The kernel's encoding checks: the pass over every instruction before the walk
/// (`resolve_pseudo_ldimm64`: reserved LDX fields, `ld_imm64` pairs, the opcode table) and the
/// reserved-field rules `do_check` applies to each instruction it reaches (`check_alu_op`, the
/// jump, store and load cases). Hostile bytecode fails here with the kernel's message, before any
/// field is used as a width, shift or register number.
extension Verifier {
    /// `bpf_opcode_in_insntable`: the opcodes a program may contain (6.18, without arena-only
    /// and internal forms).
    static let opcodeTable: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        let aluOps: [UInt8] = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xA0, 0xB0, 0xC0]
        for cls in [Opcode.classALU, Opcode.classALU64] {
            for op in aluOps {
                table[Int(cls | op)] = true
                table[Int(cls | op | Opcode.sourceX)] = true
            }
            table[Int(cls | Opcode.aluNeg)] = true
            table[Int(cls | Opcode.aluEnd)] = true
        }
        table[Int(Opcode.classALU | Opcode.aluEnd | Opcode.sourceX)] = true  // to big endian
        let jumpOps: [UInt8] = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xA0, 0xB0, 0xC0, 0xD0]
        for cls in [Opcode.classJMP, Opcode.classJMP32] {
            for op in jumpOps {
                table[Int(cls | op)] = true
                table[Int(cls | op | Opcode.sourceX)] = true
            }
            table[Int(cls | Opcode.jmpJA)] = true
        }
        for opcode in [Opcode.call, Opcode.exit, 0xE5 /* may_goto */] { table[Int(opcode)] = true }
        table[Int(Opcode.loadImm64)] = true
        for size in [Opcode.sizeW, Opcode.sizeH, Opcode.sizeB] {
            table[Int(Opcode.classLD | Opcode.modeABS | size)] = true
            table[Int(Opcode.classLD | Opcode.modeIND | size)] = true
            table[Int(Opcode.classLDX | Opcode.modeMEMSX | size)] = true
        }
        for size in [Opcode.sizeW, Opcode.sizeH, Opcode.sizeB, Opcode.sizeDW] {
            table[Int(Opcode.classLDX | Opcode.modeMEM | size)] = true
            table[Int(Opcode.classST | Opcode.modeMEM | size)] = true
            table[Int(Opcode.classSTX | Opcode.modeMEM | size)] = true
            table[Int(Opcode.classSTX | Opcode.modeATOMIC | size)] = true
        }
        return table
    }()

    /// `check_atomic`'s operations: add, or, and, xor (each also with fetch), xchg, cmpxchg,
    /// load-acquire, store-release.
    static let atomicOperations: Set<Int32> = [
        0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xA0, 0xA1, Opcode.atomicXchg, Opcode.atomicCmpxchg, Opcode.atomicLoadAcquire,
        Opcode.atomicStoreRelease,
    ]

    /// The pass over every slot, reachable or not, in order (`resolve_pseudo_ldimm64`).
    func checkEncodings() throws(VerificationFailure) {
        var i = 0
        while i < instructions.count {
            let insn = instructions[i]
            let mode = insn.opcode & 0xE0
            if insn.instructionClass == Opcode.classLDX && ((mode != Opcode.modeMEM && mode != Opcode.modeMEMSX) || insn.immediate != 0) {
                throw VerificationFailure("BPF_LDX uses reserved fields")
            }
            if insn.isWideLoad {
                guard i + 1 < instructions.count else { throw VerificationFailure("invalid bpf_ld_imm64 insn") }
                let second = instructions[i + 1]
                if second.opcode != 0 || second.registers != 0 || second.offset != 0 {
                    throw VerificationFailure("invalid bpf_ld_imm64 insn")
                }
                switch insn.source {
                case 0, Opcode.pseudoBTFID, Opcode.pseudoFunc, Opcode.pseudoMapValue, Opcode.pseudoMapIndexValue:
                    break
                case Opcode.pseudoMapFD where second.immediate == 0, Opcode.pseudoMapIndex where second.immediate == 0:
                    break
                default:
                    throw VerificationFailure("unrecognized bpf_ld_imm64 insn")
                }
                let mapForms = [Opcode.pseudoMapFD, Opcode.pseudoMapValue, Opcode.pseudoMapIndex, Opcode.pseudoMapIndexValue]
                if mapForms.contains(insn.source) {
                    // the loader's map index (an fd or an fd_array slot in the kernel)
                    guard insn.immediate >= 0, Int(insn.immediate) < program.maps.count else {
                        if insn.source == Opcode.pseudoMapFD || insn.source == Opcode.pseudoMapValue {
                            throw VerificationFailure("fd \(insn.immediate) is not pointing to valid bpf_map")
                        }
                        throw VerificationFailure("fd_idx without fd_array is invalid")
                    }
                    let valueSize = program.maps[Int(insn.immediate)].valueSize
                    let offset = Int(UInt32(bitPattern: second.immediate))
                    if insn.source == Opcode.pseudoMapValue || insn.source == Opcode.pseudoMapIndexValue, offset >= valueSize {
                        throw VerificationFailure("invalid access to map value pointer, value_size=\(valueSize) off=\(offset)")
                    }
                }
                i += 2
                continue
            }
            if !Self.opcodeTable[Int(insn.opcode)] {
                throw VerificationFailure("unknown opcode \(Self.hex2(insn.opcode))")
            }
            i += 1
        }
    }

    /// The reserved-field rules of the instruction `do_check` is at.
    func checkReservedFields(_ insn: Instruction) throws(VerificationFailure) {
        let byRegister = insn.opcode & Opcode.sourceX != 0
        let op = insn.opcode & 0xF0
        switch insn.instructionClass {
        case Opcode.classALU, Opcode.classALU64:
            let is64 = insn.instructionClass == Opcode.classALU64
            switch op {
            case Opcode.aluNeg:
                if byRegister || insn.source != 0 || insn.offset != 0 || insn.immediate != 0 {
                    throw VerificationFailure("BPF_NEG uses reserved fields")
                }
            case Opcode.aluEnd:
                if insn.source != 0 || insn.offset != 0 || ![16, 32, 64].contains(insn.immediate) || (is64 && byRegister) {
                    throw VerificationFailure("BPF_END uses reserved fields")
                }
            case Opcode.aluMov:
                if byRegister {
                    let offsets: [Int16] = is64 ? [0, 8, 16, 32] : [0, 8, 16]
                    if is64 && insn.offset == 1 {
                        if insn.immediate != 1 && insn.immediate != 1 << 16 {
                            throw VerificationFailure("addr_space_cast insn can only convert between address space 1 and 0")
                        }
                        throw VerificationFailure("addr_space_cast insn can only be used in a program that has an associated arena")
                    }
                    if !offsets.contains(insn.offset) || insn.immediate != 0 { throw VerificationFailure("BPF_MOV uses reserved fields") }
                } else if insn.source != 0 || insn.offset != 0 {
                    throw VerificationFailure("BPF_MOV uses reserved fields")
                }
            case let op where op > Opcode.aluEnd:
                throw VerificationFailure("invalid BPF_ALU opcode \(String(op, radix: 16))")
            default:
                let signedAllowed = op == Opcode.aluDiv || op == Opcode.aluMod
                let badOffset = (insn.offset != 0 && insn.offset != 1) || (insn.offset == 1 && !signedAllowed)
                if badOffset || (byRegister ? insn.immediate != 0 : insn.source != 0) {
                    throw VerificationFailure("BPF_ALU uses reserved fields")
                }
            }
        case Opcode.classJMP, Opcode.classJMP32:
            let is32 = insn.instructionClass == Opcode.classJMP32
            switch op {
            case Opcode.jmpCall:
                let pseudo = insn.source == Opcode.pseudoCall || insn.source == Opcode.pseudoKfuncCall
                if byRegister || (insn.source != Opcode.pseudoKfuncCall && insn.offset != 0) || (insn.source != 0 && !pseudo)
                    || insn.destination != 0 || is32
                {
                    throw VerificationFailure("BPF_CALL uses reserved fields")
                }
            case Opcode.jmpJA:
                if byRegister || insn.source != 0 || insn.destination != 0 || (!is32 && insn.immediate != 0) || (is32 && insn.offset != 0) {
                    throw VerificationFailure("BPF_JA uses reserved fields")
                }
            case Opcode.jmpExit:
                if byRegister || insn.immediate != 0 || insn.source != 0 || insn.destination != 0 || is32 {
                    throw VerificationFailure("BPF_EXIT uses reserved fields")
                }
            default:
                break  // conditional jumps check their registers first (`jump`)
            }
        case Opcode.classSTX:
            if insn.opcode & 0xE0 == Opcode.modeATOMIC {
                if !Self.atomicOperations.contains(insn.immediate) {
                    throw VerificationFailure("BPF_ATOMIC uses invalid atomic opcode \(Self.hex2(UInt32(bitPattern: insn.immediate)))")
                }
            } else if insn.opcode & 0xE0 != Opcode.modeMEM || insn.immediate != 0 {
                throw VerificationFailure("BPF_STX uses reserved fields")
            }
        case Opcode.classST:
            if insn.opcode & 0xE0 != Opcode.modeMEM || insn.source != 0 {
                throw VerificationFailure("BPF_ST uses reserved fields")
            }
        default:
            break
        }
    }

    /// `%02x`.
    static func hex2(_ value: some BinaryInteger) -> String {
        let text = String(value, radix: 16)
        return text.count == 1 ? "0" + text : text
    }
}
