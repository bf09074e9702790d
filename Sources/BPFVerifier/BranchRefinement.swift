import BPFObject

/// `is_branch_taken` and `reg_set_min_max` for scalars.
enum BranchRefinement {
    /// The negation of a conditional jump's op (the fall-through side).
    static func negate(_ op: UInt8) -> UInt8 {
        switch op {
        case Opcode.jmpJEQ: Opcode.jmpJNE
        case Opcode.jmpJNE: Opcode.jmpJEQ
        case Opcode.jmpJGT: Opcode.jmpJLE
        case Opcode.jmpJLE: Opcode.jmpJGT
        case Opcode.jmpJGE: Opcode.jmpJLT
        case Opcode.jmpJLT: Opcode.jmpJGE
        case Opcode.jmpJSGT: Opcode.jmpJSLE
        case Opcode.jmpJSLE: Opcode.jmpJSGT
        case Opcode.jmpJSGE: Opcode.jmpJSLT
        case Opcode.jmpJSLT: Opcode.jmpJSGE
        default: op  // JSET: handled apart
        }
    }

    static func isSigned(_ op: UInt8) -> Bool {
        op == Opcode.jmpJSGT || op == Opcode.jmpJSGE || op == Opcode.jmpJSLT || op == Opcode.jmpJSLE
    }

    /// true/false when `a op b` is decided by what is known; nil when both sides are possible.
    static func taken(_ a: ScalarValue, _ b: ScalarValue, _ op: UInt8) -> Bool? {
        switch op {
        case Opcode.jmpJEQ:
            if let x = a.constantValue, let y = b.constantValue { return x == y }
            if a.umin > b.umax || a.umax < b.umin || a.smin > b.smax || a.smax < b.smin { return false }
            if (a.bits.value ^ b.bits.value) & ~(a.bits.mask | b.bits.mask) != 0 { return false }
            return nil
        case Opcode.jmpJNE:
            return taken(a, b, Opcode.jmpJEQ).map { !$0 }
        case Opcode.jmpJGT:
            if a.umin > b.umax { return true }
            if a.umax <= b.umin { return false }
            return nil
        case Opcode.jmpJGE:
            if a.umin >= b.umax { return true }
            if a.umax < b.umin { return false }
            return nil
        case Opcode.jmpJLT: return taken(b, a, Opcode.jmpJGT)
        case Opcode.jmpJLE: return taken(b, a, Opcode.jmpJGE)
        case Opcode.jmpJSGT:
            if a.smin > b.smax { return true }
            if a.smax <= b.smin { return false }
            return nil
        case Opcode.jmpJSGE:
            if a.smin >= b.smax { return true }
            if a.smax < b.smin { return false }
            return nil
        case Opcode.jmpJSLT: return taken(b, a, Opcode.jmpJSGT)
        case Opcode.jmpJSLE: return taken(b, a, Opcode.jmpJSGE)
        case Opcode.jmpJSET:
            if a.bits.value & b.bits.value != 0 { return true }
            if a.bits.maxValue & b.bits.maxValue == 0 { return false }
            return nil
        default: return nil
        }
    }

    /// Narrows `a` and `b` to the values for which `a op b` holds (`jset`: `positive` says which side).
    static func refine(_ a: inout ScalarValue, _ b: inout ScalarValue, _ op: UInt8, jsetTaken: Bool = true) {
        switch op {
        case Opcode.jmpJEQ:
            let r = ScalarValue(bits: a.bits.intersect(b.bits), smin: max(a.smin, b.smin), smax: min(a.smax, b.smax),
                umin: max(a.umin, b.umin), umax: min(a.umax, b.umax))
            a = r
            b = r
        case Opcode.jmpJNE:
            if let c = b.constantValue { exclude(&a, c) }
            if let c = a.constantValue { exclude(&b, c) }
        case Opcode.jmpJGT:
            if b.umin < .max { a.umin = max(a.umin, b.umin + 1) }
            if a.umax > 0 { b.umax = min(b.umax, a.umax - 1) }
        case Opcode.jmpJGE:
            a.umin = max(a.umin, b.umin)
            b.umax = min(b.umax, a.umax)
        case Opcode.jmpJLT: refine(&b, &a, Opcode.jmpJGT)
        case Opcode.jmpJLE: refine(&b, &a, Opcode.jmpJGE)
        case Opcode.jmpJSGT:
            if b.smin < .max { a.smin = max(a.smin, b.smin + 1) }
            if a.smax > .min { b.smax = min(b.smax, a.smax - 1) }
        case Opcode.jmpJSGE:
            a.smin = max(a.smin, b.smin)
            b.smax = min(b.smax, a.smax)
        case Opcode.jmpJSLT: refine(&b, &a, Opcode.jmpJSGT)
        case Opcode.jmpJSLE: refine(&b, &a, Opcode.jmpJSGE)
        case Opcode.jmpJSET:
            if let c = b.constantValue {
                if jsetTaken {
                    if c != 0 && c & (c - 1) == 0 { a.bits = a.bits | .constant(c) }
                } else {
                    a.bits = a.bits & .constant(~c)
                }
            }
        default: break
        }
        a.synchronize()
        b.synchronize()
    }

    static func exclude(_ a: inout ScalarValue, _ c: UInt64) {
        if a.umin == c && a.umin < a.umax { a.umin += 1 } else if a.umax == c && a.umin < a.umax { a.umax -= 1 }
        let s = Int64(bitPattern: c)
        if a.smin == s && a.smin < a.smax { a.smin += 1 } else if a.smax == s && a.smin < a.smax { a.smax -= 1 }
    }
}
