import BPFObject
import Kfuncs

extension Verifier {
    /// `check_kfunc_call` with `check_kfunc_args`.
    func kfuncCall(pc: Int, _ insn: Instruction, state: inout VerifierState) throws(VerificationFailure) {
        let name = program.kfuncCall(at: pc)?.name ?? "kernel-function"
        guard let kfunc = kfuncs.kfunc(named: name, for: program.type) else {
            throw VerificationFailure("calling kernel function \(name) is not allowed")
        }
        let btf = kfunc.btf
        let params = kfunc.parameters
        if params.count > 5 { throw VerificationFailure("Function \(name) has \(params.count) > 5 args") }
        let flags = kfunc.flags
        // Since 6.18 every kfunc's pointer arguments are treated as KF_TRUSTED_ARGS.
        let trustedArgs = true
        var releaseRef: UInt32 = 0
        var i = 0
        while i < params.count {
            let p = params[i]
            let r = i + 1
            try checkRegisterArgument(r, state)
            let reg = state[register: r]
            let t = btf.skippingModifiers(p.type)
            let entry = btf[t]
            if entry.kind == .int || entry.kind == .enumeration || entry.kind == .enum64 {
                if reg.kind != .scalar { throw VerificationFailure("R\(r) is not a scalar") }
                if p.name.hasSuffix("__k") && !reg.value.isConstant { throw VerificationFailure("R\(r) must be a known constant") }
                i += 1
                continue
            }
            guard entry.kind == .pointer else { throw VerificationFailure("Unrecognized arg#\(i) type \(entry.kind)") }
            let pointee = btf.skippingModifiers(entry.sizeOrType)
            let target = btf[pointee]
            let nullable = p.name.hasSuffix("__nullable") || p.name.hasSuffix("__opt")
            let isNull = reg.kind == .scalar && reg.value.constantValue == 0
            if trustedArgs, isNull || reg.isNullable, !nullable {
                throw VerificationFailure("Possibly NULL pointer passed to trusted arg\(i)")
            }
            let kindName = target.kind == .structure ? "STRUCT" : target.kind == .union ? "UNION" : "\(target.kind)"
            if target.kind == .structure, let ctxName = ContextRules.contextTypeName(program.type), target.name == ctxName {
                guard reg.kind == .context else {
                    throw VerificationFailure("arg#\(i) expected pointer to ctx, but got \(reg.typeName())")
                }
                i += 1
                continue
            }
            if reg.kind == .btfID || reg.kind == .btfIDOrNull {
                guard target.kind == .structure else {
                    throw VerificationFailure("kernel function \(name) args#\(i) pointer type \(kindName) \(target.name) is not supported")
                }
                if trustedArgs && !reg.trusted && reg.referenceID == 0 {
                    throw VerificationFailure("R\(r) must be referenced or trusted")
                }
                if (trustedArgs || flags.contains(.release)) && (reg.offset != 0 || !reg.value.isConstant || reg.value.bits.value != 0) {
                    throw VerificationFailure("R\(r) must have zero offset when passed to release func or trusted arg to kfunc")
                }
                if reg.btfTypeName != target.name {
                    throw VerificationFailure(
                        "kernel function \(name) args#\(i) expected pointer to \(kindName) \(target.name) but R\(r) has a pointer to STRUCT \(reg.btfTypeName)")
                }
                if flags.contains(.release), releaseRef == 0 {
                    guard reg.referenceID != 0 else {
                        throw VerificationFailure("release kernel function \(name) expects refcounted PTR_TO_BTF_ID")
                    }
                    guard state.references.contains(where: { $0.id == reg.referenceID }) else {
                        throw VerificationFailure("kfunc \(name)#\(insn.immediate) reference has not been acquired before")
                    }
                    releaseRef = reg.referenceID
                }
                i += 1
                continue
            }
            // memory, with a size when the next parameter is `__sz`/`__szk`
            let sized = i + 1 < params.count && (params[i + 1].name.hasSuffix("__sz") || params[i + 1].name.hasSuffix("__szk"))
            let scalarTarget = target.kind == .int || target.kind == .enumeration || target.kind == .float
                || (sized && target.kind == .void) || isScalarStruct(btf, pointee, depth: 0)
            if !scalarTarget {
                throw VerificationFailure("arg#\(i) pointer type \(kindName) \(target.name) must point to \(sized ? "void, " : "")scalar, or struct with scalar")
            }
            if sized {
                try checkRegisterArgument(r + 1, state)
                let sizeReg = state[register: r + 1]
                do throws(VerificationFailure) {
                    if nullable, isNull {
                        i += 2
                        continue
                    }
                    guard [.stack, .packet, .packetMeta, .mapKey, .mapValue, .memory].contains(reg.kind) else {
                        if isNull, sizeReg.kind == .scalar, sizeReg.value.constantValue == 0 {
                            i += 2
                            continue
                        }
                        throw VerificationFailure("R\(r) type=\(reg.typeName()) expected=fp")
                    }
                    let length = try sizeArgument(r + 1, sizeReg, zeroAllowed: true)
                    try memoryArgument(r, reg, size: length, write: false, state: &state)
                } catch {
                    throw VerificationFailure(lines: error.lines + ["arg#\(i) arg#\(i + 1) memory, len pair leads to invalid memory access"])
                }
                i += 2
                continue
            }
            let size = btf.size(of: pointee) ?? 0
            if nullable, isNull {
                i += 1
                continue
            }
            try memoryArgument(r, reg, size: size, write: false, state: &state)
            i += 1
        }
        if flags.contains(.release) && releaseRef == 0 {
            throw VerificationFailure("release kernel function \(name) expects refcounted PTR_TO_BTF_ID")
        }
        if releaseRef != 0 {
            state.references.removeAll { $0.id == releaseRef }
            state.forEachRegister { reg in
                if reg.referenceID == releaseRef { reg = .unknownScalar() }
            }
        }
        clobberCallerSaved(&state)
        // the return value
        let returnType = btf.skippingModifiers(kfunc.returnTypeID)
        let ret = btf[returnType]
        switch ret.kind {
        case .void:
            state[register: 0] = .notInitialized
        case .pointer:
            let pointee = btf.skippingModifiers(ret.sizeOrType)
            let target = btf[pointee]
            if target.kind == .structure {
                var r0 = RegisterState(kind: flags.contains(.returnsNull) ? .btfIDOrNull : .btfID)
                r0.btfTypeName = target.name
                r0.memorySize = btf.size(of: pointee) ?? 0
                // check_kfunc_call gives a maybe-NULL result an id first; an acquired one then
                // takes the reference's id (so the kernel's first reference is id=2).
                if flags.contains(.returnsNull) && flags.contains(.acquire) { _ = nextID() }
                if flags.contains(.acquire) {
                    let ref = nextID()
                    r0.referenceID = ref
                    if flags.contains(.returnsNull) { r0.id = ref }
                    state.references.append(HeldReference(id: ref, instruction: pc))
                } else if flags.contains(.returnsNull) {
                    r0.id = nextID()
                }
                state[register: 0] = r0
            } else {
                if flags.contains(.acquire) { throw VerificationFailure("acquire kernel function does not return PTR_TO_BTF_ID") }
                var r0 = RegisterState(kind: .memory)
                r0.memorySize = btf.size(of: pointee) ?? 0
                state[register: 0] = r0
            }
        default:
            state[register: 0] = .unknownScalar()
        }
    }

    /// `__btf_type_is_scalar_struct`: a struct whose members are scalars, arrays of scalars, or
    /// such structs (nested at most 3 deep).
    func isScalarStruct(_ btf: BTF, _ id: UInt32, depth: Int) -> Bool {
        let t = btf[id]
        guard t.kind == .structure || t.kind == .union else { return false }
        for m in t.members {
            var mt = btf.skippingModifiers(m.type)
            while btf[mt].kind == .array { mt = btf.skippingModifiers(btf[mt].arrayElement) }
            let k = btf[mt].kind
            if k == .int || k == .enumeration || k == .enum64 || k == .float { continue }
            if k == .structure || k == .union {
                if depth >= 3 { return false }
                if isScalarStruct(btf, mt, depth: depth + 1) { continue }
                return false
            }
            return false
        }
        return true
    }

    /// Loads and stores through a BTF-typed kernel pointer (`btf_struct_access`, with the
    /// conntrack hook that allows writing `nf_conn.mark`).
    func btfAccess(pc: Int, base: Int, reg: RegisterState, offset: Int, size: Int, write: Bool, result: inout RegisterState)
        throws(VerificationFailure)
    {
        if !reg.value.isConstant {
            throw VerificationFailure("R\(base) is ptr_\(reg.btfTypeName) invalid variable offset: off=\(offset), var_off=\(reg.value.bits.description)")
        }
        if offset < 0 {
            throw VerificationFailure("R\(base) is ptr_\(reg.btfTypeName) invalid negative access: off=\(offset)")
        }
        if write {
            // `_nf_conntrack_btf_struct_access`: nf_conn and nf_conn___init share one layout, and
            // both may have their mark written.
            if reg.btfTypeName == "nf_conn" || reg.btfTypeName == "nf_conn___init" {
                // NF_CONN mark: 4 bytes at 168
                let markOffset = 168, markEnd = 172
                guard offset == markOffset else { throw VerificationFailure("no write support to nf_conn at off \(offset)") }
                if offset + size > markEnd {
                    throw VerificationFailure(
                        "write access at off \(offset) with size \(size) beyond the member of nf_conn ended at \(markEnd)")
                }
                return
            }
            throw VerificationFailure("only read is supported")
        }
        if reg.memorySize > 0, offset + size > reg.memorySize {
            throw VerificationFailure("access beyond struct \(reg.btfTypeName) at off \(offset) size \(size)")
        }
        result = .scalar(.unsigned(bytes: size))
        if size == 8, let (pointeeName, pointeeSize) = pointerMember(of: reg.btfTypeName, at: offset) {
            var r = RegisterState(kind: .btfID)
            r.btfTypeName = pointeeName
            r.memorySize = pointeeSize
            result = r
        }
    }

    /// The struct a pointer member at `offset` of struct `name` points to, from the kfunc sets' BTF.
    func pointerMember(of name: String, at offset: Int) -> (String, Int)? {
        for set in kfuncs.sets {
            let btf = set.btf
            guard let id = btf.firstID(named: name, kind: .structure) else { continue }
            var current = id
            var remaining = offset
            for _ in 0..<8 {
                let t = btf[current]
                guard t.kind == .structure || t.kind == .union else { return nil }
                guard let m = t.members.last(where: { Int($0.bitOffset / 8) <= remaining }) else { return nil }
                remaining -= Int(m.bitOffset / 8)
                let mt = btf.skippingModifiers(m.type)
                if btf[mt].kind == .pointer {
                    guard remaining == 0 else { return nil }
                    let target = btf.skippingModifiers(btf[mt].sizeOrType)
                    guard btf[target].kind == .structure else { return nil }
                    return (btf[target].name, btf.size(of: target) ?? 0)
                }
                current = mt
            }
            return nil
        }
        return nil
    }

    /// `check_atomic_load` / `check_atomic_store` (6.15+): a load or store of any size with strict
    /// alignment, then the pointer kind (not ctx or packet).
    func loadAcquireStoreRelease(pc: Int, _ insn: Instruction, state: inout VerifierState) throws(VerificationFailure) {
        let d = Int(insn.destination), s = Int(insn.source)
        let load = insn.immediate == Opcode.atomicLoadAcquire
        let base = load ? s : d
        try checkRegisterArgument(s, state)
        if load { try checkDestination(d) } else { try checkRegisterArgument(d, state) }
        let kind = state[register: base].kind
        let typeName = state[register: base].typeName()
        try memoryAccess(
            pc: pc, base: base, offset: Int(insn.offset), size: size(of: insn), write: !load, valueRegister: load ? d : s,
            signExtend: false, strictAlignment: true, state: &state)
        if [.context, .packet, .packetMeta, .packetEnd].contains(kind) {
            throw VerificationFailure("BPF_ATOMIC \(load ? "loads from" : "stores into") R\(base) \(typeName) is not allowed")
        }
    }

    /// `check_atomic` / `check_atomic_rmw`: the operation, the size, the registers, what the
    /// pointer may be, then the access as a read and a write with strict alignment.
    func atomic(pc: Int, _ insn: Instruction, state: inout VerifierState) throws(VerificationFailure) {
        let d = Int(insn.destination), s = Int(insn.source)
        let imm = insn.immediate
        // (an operation outside `atomicOperations` was refused by `checkReservedFields`)
        if imm == Opcode.atomicLoadAcquire || imm == Opcode.atomicStoreRelease {
            try loadAcquireStoreRelease(pc: pc, insn, state: &state)
            return
        }
        let size = size(of: insn)
        guard size == 4 || size == 8 else { throw VerificationFailure("invalid atomic operand size") }
        try checkRegisterArgument(s, state)
        try checkRegisterArgument(d, state)
        if imm == Opcode.atomicCmpxchg { try checkRegisterArgument(0, state) }
        // (a root loader may store pointers: no "leaks addr" checks)
        let reg = state[register: d]
        if [.context, .packet, .packetMeta, .packetEnd].contains(reg.kind) {
            throw VerificationFailure("BPF_ATOMIC stores into R\(d) \(reg.typeName()) is not allowed")
        }
        // The register the old value is loaded into becomes unknown before the accesses are
        // checked (the kernel's DST_OP check), so it may be the base itself.
        let loadRegister = imm == Opcode.atomicCmpxchg ? 0 : (imm & Opcode.atomicFetch != 0 ? s : -1)
        if loadRegister >= 0 {
            try checkDestination(loadRegister)
            state[register: loadRegister] = .unknownScalar()
        }
        var scratch = state
        try memoryAccess(
            pc: pc, base: d, offset: Int(insn.offset), size: size, write: false, valueRegister: -1, signExtend: false,
            strictAlignment: true, state: &scratch)
        try memoryAccess(
            pc: pc, base: d, offset: Int(insn.offset), size: size, write: true, valueRegister: -1, signExtend: false,
            strictAlignment: true, state: &state)
        if loadRegister >= 0 { state[register: loadRegister] = .scalar(size == 4 ? .unsigned(bytes: 4) : .unknown) }
    }
}
