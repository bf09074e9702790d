import BPFObject

extension Verifier {
    static let aluNames = ["+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=", "endian", "BUG", "BUG"]

    func arithmetic(_ insn: Instruction, state: inout VerifierState) throws(VerificationFailure) {
        let is64 = insn.instructionClass == Opcode.classALU64
        let op = insn.opcode & 0xF0
        let d = Int(insn.destination), s = Int(insn.source)
        let useX = insn.opcode & Opcode.sourceX != 0

        if op == Opcode.aluEnd || op == Opcode.aluNeg {
            try checkRegisterArgument(d, state)
            try checkDestination(d)
            let reg = state[register: d]
            if reg.isPointer && op == Opcode.aluNeg {
                throw VerificationFailure("R\(d) pointer arithmetic with neg operator prohibited")
            }
            var v: ScalarValue = .unknown
            if op == Opcode.aluNeg {
                if let c = reg.value.constantValue, reg.kind == .scalar {
                    v = is64 ? .constant(0 &- c) : .constant(UInt64(UInt32(truncatingIfNeeded: 0 &- c)))
                } else if !is64 {
                    v = .unsigned(bytes: 4)
                }
            } else {
                let width = Int(insn.immediate)
                if let c = reg.value.constantValue, reg.kind == .scalar {
                    v = .constant(Self.swap(c, width: width, toBig: insn.opcode & Opcode.sourceX != 0 || is64))
                } else {
                    v = .unsigned(bytes: width / 8)
                }
            }
            state[register: d] = .scalar(v)
            return
        }

        if op == Opcode.aluMov {
            if useX { try checkRegisterArgument(s, state) }
            try checkDestination(d)
            if !useX {
                let imm = insn.immediate
                state[register: d] = .constant(is64 ? UInt64(bitPattern: Int64(imm)) : UInt64(UInt32(bitPattern: imm)))
                return
            }
            var src = state[register: s]
            let ext = Int(insn.offset)
            if ext != 0 {
                // movsx
                let v = src.kind == .scalar ? src.value : .unknown
                var r = v.signExtended(from: ext)
                if !is64 { r = r.truncated32 }
                state[register: d] = .scalar(r)
                return
            }
            if is64 {
                if src.kind == .scalar && !src.value.isConstant && src.id == 0 {
                    src.id = nextID()
                    state[register: s] = src
                }
                state[register: d] = src
            } else {
                if src.kind == .scalar {
                    var r = RegisterState.scalar(src.value.subregister)
                    if src.value.umax <= 0xFFFF_FFFF && !src.value.isConstant {
                        if src.id == 0 {
                            src.id = nextID()
                            state[register: s] = src
                        }
                        r.id = src.id
                    }
                    state[register: d] = r
                } else {
                    state[register: d] = .scalar(.unsigned(bytes: 4))
                }
            }
            return
        }

        if useX { try checkRegisterArgument(s, state) }
        try checkRegisterArgument(d, state)
        let dst = state[register: d]
        let src: RegisterState = useX ? state[register: s] : .constant(is64 ? UInt64(bitPattern: Int64(insn.immediate)) : UInt64(UInt32(bitPattern: insn.immediate)))

        if (op == Opcode.aluDiv || op == Opcode.aluMod) && !useX && insn.immediate == 0 {
            throw VerificationFailure("div by zero")
        }
        if (op == Opcode.aluLsh || op == Opcode.aluRsh || op == Opcode.aluArsh) && !useX
            && (insn.immediate < 0 || insn.immediate >= (is64 ? 64 : 32))
        {
            throw VerificationFailure("invalid shift \(insn.immediate)")
        }
        try checkDestination(d)

        if dst.isPointer || src.isPointer {
            if dst.isPointer && src.isPointer {
                if op == Opcode.aluSub {
                    state[register: d] = .unknownScalar()
                    return
                }
                throw VerificationFailure("R\(d) pointer \(Self.aluNames[Int(op >> 4)]) pointer prohibited")
            }
            // scalar OP pointer goes through the same rules with the operands' roles swapped
            state[register: d] =
                dst.isPointer
                ? try pointerArithmetic(d, pointer: dst, offset: src, op: op, is64: is64)
                : try pointerArithmetic(d, pointer: src, offset: dst, op: op, is64: is64, scalarMinusPointer: true)
            return
        }

        var a = dst.value, b = src.value
        if !is64 {
            a = a.subregister
            b = b.subregister
        }
        let width: UInt64 = is64 ? 64 : 32
        var r: ScalarValue
        switch op {
        case Opcode.aluAdd: r = .add(a, b)
        case Opcode.aluSub: r = .subtract(a, b)
        case Opcode.aluMul: r = .multiply(a, b)
        case Opcode.aluAnd: r = .and(a, b)
        case Opcode.aluOr: r = .or(a, b)
        case Opcode.aluXor: r = .xor(a, b)
        case Opcode.aluDiv, Opcode.aluMod:
            // 6.18 does not track division (not even of constants): all 64 bits unknown, also
            // after a 32-bit op (`is_safe_to_compute_dst_reg_range` is false, no zero-extension)
            state[register: d] = .unknownScalar()
            return
        case Opcode.aluLsh, Opcode.aluRsh, Opcode.aluArsh:
            if let k = b.constantValue, k < width {
                if op == Opcode.aluLsh {
                    r = .leftShift(a, k)
                } else if op == Opcode.aluRsh {
                    r = .rightShift(a, k)
                } else {
                    r = is64 ? .arithmeticRightShift(a, k) : ScalarValue.arithmeticRightShift(dst.value.signedSubregister, k)
                }
            } else {
                state[register: d] = .unknownScalar()  // as for division
                return
            }
        default:
            r = .unknown
        }
        if !is64 { r = r.truncated32 }
        state[register: d] = .scalar(r)
    }

    static func swap(_ v: UInt64, width: Int, toBig: Bool) -> UInt64 {
        switch width {
        case 16: let x = UInt16(truncatingIfNeeded: v); return UInt64(toBig ? x.byteSwapped : x)
        case 32: let x = UInt32(truncatingIfNeeded: v); return UInt64(toBig ? x.byteSwapped : x)
        default: return toBig ? v.byteSwapped : v
        }
    }

    static let maxVariableOffset: Int64 = 1 << 29

    /// `adjust_ptr_min_max_vals`: pointer ± scalar.
    /// `adjust_ptr_min_max_vals` for a root loader.
    func pointerArithmetic(
        _ d: Int, pointer: RegisterState, offset: RegisterState, op: UInt8, is64: Bool, scalarMinusPointer: Bool = false
    ) throws(VerificationFailure) -> RegisterState {
        let typeName = pointer.typeName()
        if !is64 {
            // 32-bit results of pointers are meaningless scalars; only subtraction is let through
            if op == Opcode.aluSub { return .unknownScalar() }
            throw VerificationFailure("R\(d) 32-bit pointer arithmetic prohibited")
        }
        switch pointer.kind {
        case .mapValueOrNull, .btfIDOrNull:
            throw VerificationFailure("R\(d) pointer arithmetic on \(typeName) prohibited, null-check it first")
        case .mapPointer:
            if offset.value.constantValue == 0 && op == Opcode.aluAdd { return pointer }
            throw VerificationFailure("R\(d) pointer arithmetic on \(typeName) prohibited")
        case .packetEnd:
            throw VerificationFailure("R\(d) pointer arithmetic on \(typeName) prohibited")
        default: break
        }
        switch op {
        case Opcode.aluAdd: break
        case Opcode.aluSub:
            if scalarMinusPointer { throw VerificationFailure("R\(d) tried to subtract pointer from scalar") }
        case Opcode.aluAnd, Opcode.aluOr, Opcode.aluXor:
            throw VerificationFailure("R\(d) bitwise operator \(Self.aluNames[Int(op >> 4)]) on pointer prohibited")
        default:
            throw VerificationFailure("R\(d) pointer arithmetic with \(Self.aluNames[Int(op >> 4)]) operator prohibited")
        }
        let v = offset.value
        if let c = v.constantValue {
            let val = Int64(bitPattern: c)
            if val >= Self.maxVariableOffset || val <= -Self.maxVariableOffset {
                throw VerificationFailure("math between \(typeName) pointer and \(val) is not allowed")
            }
        } else {
            if v.smin == .min { throw VerificationFailure("math between \(typeName) pointer and register with unbounded min value is not allowed") }
            if v.smin >= Self.maxVariableOffset || v.smin <= -Self.maxVariableOffset {
                throw VerificationFailure("value \(v.smin) makes \(typeName) pointer be out of bounds")
            }
        }
        var r = pointer
        r.id = pointer.id
        if let c = v.constantValue {
            let val = Int64(bitPattern: c)
            let newOffset = op == Opcode.aluAdd ? Int64(pointer.offset) + val : Int64(pointer.offset) - val
            if newOffset > Int64(Int32.max) || newOffset < Int64(Int32.min) {
                throw VerificationFailure("R\(d) pointer offset \(newOffset) is not allowed")
            }
            r.offset = Int32(newOffset)
            return r
        }
        if op == Opcode.aluSub {
            if pointer.kind == .stack { throw VerificationFailure("R\(d) subtraction from stack pointer prohibited") }
            r.value = .subtract(pointer.value, v)
        } else {
            r.value = .add(pointer.value, v)
        }
        if r.isPacketLike {
            r.id = nextID()
            r.range = 0
        }
        if r.value.smin <= -Self.maxVariableOffset || r.value.smin >= Self.maxVariableOffset {
            throw VerificationFailure("value \(r.value.smin) makes \(typeName) pointer be out of bounds")
        }
        return r
    }
}
