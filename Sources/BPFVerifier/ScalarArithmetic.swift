/// The scalar ALU transfer functions (`adjust_scalar_min_max_vals`), 64-bit; 32-bit ops run on
/// the subregisters and are zero-extended by `truncated32`.
extension ScalarValue {
    static func add(_ a: ScalarValue, _ b: ScalarValue) -> ScalarValue {
        var r = ScalarValue(bits: a.bits + b.bits)
        let (ulo, o1) = a.umin.addingReportingOverflow(b.umin)
        let (uhi, o2) = a.umax.addingReportingOverflow(b.umax)
        if !o1 && !o2 { r.umin = ulo; r.umax = uhi } else { r.umin = 0; r.umax = .max }
        let (slo, o3) = a.smin.addingReportingOverflow(b.smin)
        let (shi, o4) = a.smax.addingReportingOverflow(b.smax)
        if !o3 && !o4 { r.smin = slo; r.smax = shi } else { r.smin = .min; r.smax = .max }
        r.bits = a.bits + b.bits
        r.synchronize()
        return r
    }

    static func subtract(_ a: ScalarValue, _ b: ScalarValue) -> ScalarValue {
        var r = ScalarValue(bits: a.bits - b.bits)
        if a.umin >= b.umax { r.umin = a.umin - b.umax; r.umax = a.umax - b.umin } else { r.umin = 0; r.umax = .max }
        let (slo, o1) = a.smin.subtractingReportingOverflow(b.smax)
        let (shi, o2) = a.smax.subtractingReportingOverflow(b.smin)
        if !o1 && !o2 { r.smin = slo; r.smax = shi } else { r.smin = .min; r.smax = .max }
        r.bits = a.bits - b.bits
        r.synchronize()
        return r
    }

    static func multiply(_ a: ScalarValue, _ b: ScalarValue) -> ScalarValue {
        var r = ScalarValue(bits: a.bits * b.bits)
        if a.smin >= 0, b.smin >= 0, a.umax <= 0xFFFF_FFFF, b.umax <= 0xFFFF_FFFF {
            r.umin = a.umin * b.umin
            r.umax = a.umax * b.umax
            r.smin = .min
            r.smax = .max
        } else {
            r.umin = 0; r.umax = .max; r.smin = .min; r.smax = .max
        }
        r.bits = a.bits * b.bits
        r.synchronize()
        return r
    }

    static func and(_ a: ScalarValue, _ b: ScalarValue) -> ScalarValue {
        let bits = a.bits & b.bits
        var r = ScalarValue(bits: bits, umin: bits.value, umax: min(a.umax, b.umax))
        if a.smin >= 0 || b.smin >= 0 { r.smin = max(r.smin, 0); r.synchronize() }
        return r
    }

    static func or(_ a: ScalarValue, _ b: ScalarValue) -> ScalarValue {
        let bits = a.bits | b.bits
        return ScalarValue(bits: bits, umin: max(a.umin, b.umin), umax: bits.maxValue)
    }

    static func xor(_ a: ScalarValue, _ b: ScalarValue) -> ScalarValue {
        ScalarValue(bits: a.bits ^ b.bits)
    }

    static func leftShift(_ a: ScalarValue, _ k: UInt64) -> ScalarValue {
        var r = ScalarValue(bits: a.bits.leftShift(k))
        if k < 64, a.umax.leadingZeroBitCount >= Int(k) {
            r.umin = a.umin << k
            r.umax = a.umax << k
            r.synchronize()
        }
        return r
    }

    static func rightShift(_ a: ScalarValue, _ k: UInt64) -> ScalarValue {
        ScalarValue(bits: a.bits.rightShift(k), umin: a.umin >> k, umax: a.umax >> k)
    }

    static func arithmeticRightShift(_ a: ScalarValue, _ k: UInt64) -> ScalarValue {
        ScalarValue(bits: a.bits.arithmeticRightShift(k), smin: a.smin >> Int64(k), smax: a.smax >> Int64(k))
    }

    /// The result of a 32-bit op: its low 32 bits, zero-extended.
    var truncated32: ScalarValue {
        if umax <= 0xFFFF_FFFF { return self }
        return ScalarValue(bits: bits.subregister, umin: 0, umax: 0xFFFF_FFFF)
    }

    /// Sign-extends the low `bits` bits (`movsx`, `ldxs*`).
    func signExtended(from width: Int) -> ScalarValue {
        guard width > 0 && width < 64 else { return width == 64 ? self : .unknown }
        let half = Int64(1) << Int64(width - 1)
        let mask = (UInt64(1) << UInt64(width)) - 1
        if let c = constantValue {
            let low = c & mask
            let v = Int64(bitPattern: low) >= half ? Int64(bitPattern: low) - (half << 1) : Int64(bitPattern: low)
            return .constant(UInt64(bitPattern: v))
        }
        if umax < UInt64(half) { return self }
        return .signedRange(-half, half - 1)
    }
}
