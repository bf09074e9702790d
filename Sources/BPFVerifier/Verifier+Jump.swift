import BPFObject

extension Verifier {
    func jump(pc: Int, _ insn: Instruction, state: inout VerifierState) throws(VerificationFailure) -> Outcome {
        let op = insn.opcode & 0xF0
        let is32 = insn.instructionClass == Opcode.classJMP32
        if insn.opcode == Opcode.exit { return try exit(pc: pc, state: &state) }
        if op == Opcode.jmpCall { return try call(pc: pc, insn, state: &state) }  // (callx: refused by `checkEncodings`)
        if op == Opcode.jmpJA {
            if insn.opcode == Opcode.ja32 { return .next(pc + 1 + Int(insn.immediate)) }
            return .next(pc + 1 + Int(insn.offset))
        }
        if insn.opcode == Opcode.mayGoto {
            if insn.source != 0 || insn.destination != 0 || insn.immediate != 0 {
                throw VerificationFailure("invalid may_goto imm \(insn.immediate)")
            }
            return .mayGoto(queued: widenedForMayGoto(pc: pc, state), jumpTo: pc + 1 + Int(insn.offset))
        }
        guard op <= Opcode.jmpJSLE, op != 0xE0 else {
            throw VerificationFailure("invalid BPF_JMP/JMP32 opcode \(String(insn.opcode, radix: 16))")
        }
        let useX = insn.opcode & Opcode.sourceX != 0
        let d = Int(insn.destination), s = Int(insn.source)
        // `check_cond_jmp_op`: the destination first, then the reserved field, then the source
        try checkRegisterArgument(d, state)
        if useX ? insn.immediate != 0 : insn.source != 0 { throw VerificationFailure("BPF_JMP/JMP32 uses reserved fields") }
        if useX { try checkRegisterArgument(s, state) }
        let target = pc + 1 + Int(insn.offset)
        let dst = state[register: d]
        let src: RegisterState =
            useX ? state[register: s] : .constant(is32 ? UInt64(UInt32(bitPattern: insn.immediate)) : UInt64(bitPattern: Int64(insn.immediate)))

        // pointer comparisons
        if dst.isPointer || src.isPointer {
            return pointerBranch(pc: pc, op: op, d: d, s: useX ? s : -1, dst: dst, src: src, is32: is32, target: target, state: state)
        }

        // scalar comparisons
        var a = dst.value, b = src.value
        var exact = true
        if is32 {
            let signed = BranchRefinement.isSigned(op)
            a = signed ? dst.value.signedSubregister : dst.value.subregister
            b = signed ? (useX ? src.value.signedSubregister : .constant(UInt64(bitPattern: Int64(insn.immediate)))) : src.value.subregister
            let fits: (ScalarValue) -> Bool = { signed ? ($0.smin >= 0 && $0.umax <= 0x7FFF_FFFF) : $0.umax <= 0xFFFF_FFFF }
            exact = fits(dst.value) && (!useX || fits(src.value))
        }
        if let taken = BranchRefinement.taken(a, b, op) {
            return taken ? .branch(nil, state, target) : .branch(state, nil, target)
        }
        var takenState = state, fallState = state
        if exact {
            var ta = is32 ? dst.value : a, tb = is32 && useX ? src.value : b
            if is32 && !useX { tb = b }
            var fa = ta, fb = tb
            BranchRefinement.refine(&ta, &tb, op, jsetTaken: true)
            let negated = op == Opcode.jmpJSET ? op : BranchRefinement.negate(op)
            BranchRefinement.refine(&fa, &fb, negated, jsetTaken: false)
            setScalar(d, ta, in: &takenState)
            setScalar(d, fa, in: &fallState)
            if useX {
                setScalar(s, tb, in: &takenState)
                setScalar(s, fb, in: &fallState)
            }
            if ta.isEmpty { return .branch(fallState, nil, target) }
            if fa.isEmpty { return .branch(nil, takenState, target) }
        }
        return .branch(fallState, takenState, target)
    }

    /// Writes a refined scalar to `r` and to every register linked to it by id.
    func setScalar(_ r: Int, _ value: ScalarValue, in state: inout VerifierState) {
        let id = state[register: r].id
        state[register: r].value = value
        guard id != 0 else { return }
        state.forEachRegister { reg in
            if reg.kind == .scalar && reg.id == id { reg.value = value }
        }
    }

    func pointerBranch(
        pc: Int, op: UInt8, d: Int, s: Int, dst: RegisterState, src: RegisterState, is32: Bool, target: Int, state: VerifierState
    ) -> Outcome {
        var takenState = state, fallState = state
        // NULL checks
        if !is32, op == Opcode.jmpJEQ || op == Opcode.jmpJNE {
            let (ptr, other) = dst.isPointer ? (dst, src) : (src, dst)
            if other.kind == .scalar, other.value.constantValue == 0 {
                if ptr.isNullable {
                    if op == Opcode.jmpJEQ {
                        markNullCheck(ptr, isNull: true, in: &takenState)
                        markNullCheck(ptr, isNull: false, in: &fallState)
                    } else {
                        markNullCheck(ptr, isNull: false, in: &takenState)
                        markNullCheck(ptr, isNull: true, in: &fallState)
                    }
                    return .branch(fallState, takenState, target)
                }
                if ptr.kind == .mapValue || ptr.kind == .mapKey || ptr.kind == .memory || (ptr.kind == .btfID && ptr.trusted) {
                    return op == Opcode.jmpJEQ ? .branch(state, nil, target) : .branch(nil, state, target)
                }
            }
        }
        // packet range learning
        if !is32, dst.isPointer, src.isPointer {
            learnPacketRange(op: op, d: d, s: s, dst: dst, src: src, taken: &takenState, fall: &fallState)
        }
        return .branch(fallState, takenState, target)
    }

    func markNullCheck(_ ptr: RegisterState, isNull: Bool, in state: inout VerifierState) {
        let id = ptr.id
        guard id != 0 else { return }
        let ref = ptr.referenceID
        state.forEachRegister { reg in
            guard reg.isNullable, reg.id == id else { return }
            if isNull {
                reg = .constant(0)
            } else {
                reg.kind = reg.kind == .mapValueOrNull ? .mapValue : .btfID
                if reg.referenceID == 0 { reg.id = 0 }
                if reg.kind == .btfID { reg.id = 0 }
            }
        }
        if isNull, ref != 0 { state.references.removeAll { $0.id == ref } }
    }

    func learnPacketRange(op: UInt8, d: Int, s: Int, dst: RegisterState, src: RegisterState, taken: inout VerifierState, fall: inout VerifierState) {
        // (pkt, pkt_end) or (pkt_meta, pkt)
        func isPair(_ p: RegisterState, _ end: RegisterState) -> Bool {
            (p.kind == .packet && end.kind == .packetEnd) || (p.kind == .packetMeta && end.kind == .packet)
        }
        if isPair(dst, src) {
            switch op {
            case Opcode.jmpJGT: markGood(dst, open: false, in: &fall)
            case Opcode.jmpJLT: markGood(dst, open: true, in: &taken)
            case Opcode.jmpJGE: markGood(dst, open: true, in: &fall)
            case Opcode.jmpJLE: markGood(dst, open: false, in: &taken)
            default: break
            }
        } else if isPair(src, dst) {
            switch op {
            case Opcode.jmpJGT: markGood(src, open: true, in: &taken)
            case Opcode.jmpJLT: markGood(src, open: false, in: &fall)
            case Opcode.jmpJGE: markGood(src, open: false, in: &taken)
            case Opcode.jmpJLE: markGood(src, open: true, in: &fall)
            default: break
            }
        }
    }

    /// `find_good_pkt_pointers`.
    func markGood(_ reg: RegisterState, open: Bool, in state: inout VerifierState) {
        if reg.offset < 0 || (reg.offset == 0 && open) { return }
        if reg.value.umax > Self.maxPacketOffset || reg.value.umax + UInt64(reg.offset) > Self.maxPacketOffset { return }
        var newRange = reg.offset
        if open { newRange -= 1 }
        let kind = reg.kind, id = reg.id
        state.forEachRegister { r in
            if r.kind == kind && r.id == id { r.range = max(r.range, newRange) }
        }
    }

    // MARK: exit

    func exit(pc: Int, state: inout VerifierState) throws(VerificationFailure) -> Outcome {
        if state.frames.count > 1 {
            let callee = state.current
            let r0 = callee.registers[0]
            if r0.kind == .notInitialized { throw VerificationFailure("R0 !read_ok") }
            if r0.kind == .stack && r0.frame == callee.frameNumber {
                throw VerificationFailure("cannot return stack pointer to the caller")
            }
            let returnTo = callee.callSite + 1
            recordStackDepths(state)
            state.frames.removeLast()
            state[register: 0] = r0
            return .next(returnTo)
        }
        if !state.references.isEmpty {
            throw VerificationFailure(lines: state.references.map { "Unreleased reference id=\($0.id) alloc_insn=\($0.instruction)" }
                + ["BPF_EXIT instruction in main prog would lead to reference leak"])
        }
        try checkRegisterArgument(0, state)
        return .exit
    }

    /// The fall-through of a may_goto: one level deeper, and with every scalar that changed since
    /// this path's previous visit of the instruction made unknown (`widen_imprecise_scalars`; ctsim
    /// tracks no precision, so every scalar counts as imprecise), so that the loop converges.
    func widenedForMayGoto(pc: Int, _ state: VerifierState) -> VerifierState {
        var queued = state
        queued.mayGotoDepth += 1
        let list = visitedAt[pc] ?? []
        guard let previous = list.last(where: { $0 != lastEntry && visited[$0].branches > 0 }) else { return queued }
        let old = visited[previous].state
        guard old.frames.count == queued.frames.count else { return queued }
        for f in queued.frames.indices {
            for r in queued.frames[f].registers.indices {
                let a = old.frames[f].registers[r], b = queued.frames[f].registers[r]
                if a.kind == .scalar, b.kind == .scalar, a != b { queued.frames[f].registers[r] = .unknownScalar() }
            }
            for s in queued.frames[f].stack.indices where s < old.frames[f].stack.count {
                let a = old.frames[f].stack[s], b = queued.frames[f].stack[s]
                if a.isSpill, b.isSpill, a.spilled.kind == .scalar, b.spilled.kind == .scalar, a.spilled != b.spilled {
                    queued.frames[f].stack[s].spilled = .unknownScalar()
                }
            }
        }
        return queued
    }
}
