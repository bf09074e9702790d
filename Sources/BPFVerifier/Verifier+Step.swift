import BPFObject

extension Verifier {
    /// Checks one instruction and applies it to `state`.
    func step(pc: Int, state: inout VerifierState) throws(VerificationFailure) -> Outcome {
        let insn = instructions[pc]
        try checkReservedFields(insn)
        switch insn.instructionClass {
        case Opcode.classALU, Opcode.classALU64:
            try arithmetic(insn, state: &state)
            return .next(pc + 1)
        case Opcode.classLDX:
            try checkRegisterArgument(Int(insn.source), state)
            try checkDestination(Int(insn.destination))
            let mode = insn.opcode & 0xE0
            guard mode == Opcode.modeMEM || mode == Opcode.modeMEMSX else { throw VerificationFailure("BPF_LDX uses reserved fields") }
            try memoryAccess(
                pc: pc, base: Int(insn.source), offset: Int(insn.offset), size: size(of: insn), write: false,
                valueRegister: Int(insn.destination), signExtend: mode == Opcode.modeMEMSX, state: &state)
            return .next(pc + 1)
        case Opcode.classSTX:
            let mode = insn.opcode & 0xE0
            if mode == Opcode.modeATOMIC {
                try atomic(pc: pc, insn, state: &state)
                return .next(pc + 1)
            }
            guard mode == Opcode.modeMEM else { throw VerificationFailure("BPF_STX uses reserved fields") }
            try checkRegisterArgument(Int(insn.source), state)
            try checkRegisterArgument(Int(insn.destination), state)
            try memoryAccess(
                pc: pc, base: Int(insn.destination), offset: Int(insn.offset), size: size(of: insn), write: true,
                valueRegister: Int(insn.source), signExtend: false, state: &state)
            return .next(pc + 1)
        case Opcode.classST:
            guard insn.opcode & 0xE0 == Opcode.modeMEM else { throw VerificationFailure("BPF_ST uses reserved fields") }
            try checkRegisterArgument(Int(insn.destination), state)
            try memoryAccess(
                pc: pc, base: Int(insn.destination), offset: Int(insn.offset), size: size(of: insn), write: true,
                valueRegister: -1, immediate: Int64(insn.immediate), signExtend: false, state: &state)
            return .next(pc + 1)
        case Opcode.classLD:
            if insn.isWideLoad {
                if insn.offset != 0 { throw VerificationFailure("BPF_LD_IMM64 uses reserved fields") }
                try checkDestination(Int(insn.destination))
                try wideLoad(pc: pc, insn, state: &state)
                return .next(pc + 2)
            }
            throw VerificationFailure("BPF_LD_[ABS|IND] instructions not allowed for this program type")
        default:
            return try jump(pc: pc, insn, state: &state)
        }
    }

    func size(of insn: Instruction) -> Int { [4, 2, 1, 8][Int(insn.opcode >> 3) & 3] }

    /// `check_reg_arg(..., SRC_OP)`.
    func checkRegisterArgument(_ r: Int, _ state: VerifierState) throws(VerificationFailure) {
        guard r <= 10 else { throw VerificationFailure("R\(r) is invalid") }
        if state[register: r].kind == .notInitialized { throw VerificationFailure("R\(r) !read_ok") }
    }

    /// `check_reg_arg(..., DST_OP)`.
    func checkDestination(_ r: Int) throws(VerificationFailure) {
        guard r <= 10 else { throw VerificationFailure("R\(r) is invalid") }
        if r == 10 { throw VerificationFailure("frame pointer is read only") }
    }

    func wideLoad(pc: Int, _ insn: Instruction, state: inout VerifierState) throws(VerificationFailure) {
        let d = Int(insn.destination)
        let hi = instructions[pc + 1].immediate
        let value = UInt64(UInt32(bitPattern: insn.immediate)) | UInt64(UInt32(bitPattern: hi)) << 32
        switch insn.source {
        case 0:
            state[register: d] = .constant(value)
        case Opcode.pseudoMapIndex, Opcode.pseudoMapFD:
            var r = RegisterState(kind: .mapPointer)
            r.map = Int(insn.immediate)
            state[register: d] = r
        case Opcode.pseudoMapIndexValue, Opcode.pseudoMapValue:
            var r = RegisterState(kind: .mapValue)
            r.map = Int(insn.immediate)
            r.offset = Int32(bitPattern: UInt32(bitPattern: hi))
            state[register: d] = r
        case Opcode.pseudoBTFID:
            state[register: d] = .unknownScalar()
        default:
            throw VerificationFailure("unrecognized bpf_ld_imm64 insn")
        }
    }
}
