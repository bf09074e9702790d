/// What the verifier knows of a scalar: its bits (`Tnum`) and its signed and unsigned 64-bit
/// bounds, kept consistent as `reg_bounds_sync` does. The 32-bit bounds are derived on demand.
public struct ScalarValue: Hashable, Sendable {
    public var bits: Tnum
    public var smin: Int64
    public var smax: Int64
    public var umin: UInt64
    public var umax: UInt64

    public init(bits: Tnum = .unknown, smin: Int64 = .min, smax: Int64 = .max, umin: UInt64 = 0, umax: UInt64 = .max) {
        self.bits = bits
        self.smin = smin
        self.smax = smax
        self.umin = umin
        self.umax = umax
        synchronize()
    }

    public static let unknown = ScalarValue()
    public static func constant(_ v: UInt64) -> ScalarValue {
        ScalarValue(bits: .constant(v), smin: Int64(bitPattern: v), smax: Int64(bitPattern: v), umin: v, umax: v)
    }
    public static func unsignedRange(_ lo: UInt64, _ hi: UInt64) -> ScalarValue { ScalarValue(bits: .range(lo, hi), umin: lo, umax: hi) }
    public static func signedRange(_ lo: Int64, _ hi: Int64) -> ScalarValue { ScalarValue(smin: lo, smax: hi) }
    /// Any value of `width` bytes, zero-extended.
    public static func unsigned(bytes: Int) -> ScalarValue {
        bytes >= 8 ? .unknown : .unsignedRange(0, (UInt64(1) << UInt64(bytes * 8)) - 1)
    }

    public var isConstant: Bool { bits.isConstant }
    public var constantValue: UInt64? { bits.isConstant ? bits.value : nil }

    /// Tightens bounds from bits and bits from bounds, and the signed from the unsigned range.
    public mutating func synchronize() {
        // bits -> bounds
        smin = max(smin, Int64(bitPattern: bits.value | (bits.mask & (UInt64(1) << 63))))
        smax = min(smax, Int64(bitPattern: bits.value | (bits.mask & ~(UInt64(1) << 63))))
        umin = max(umin, bits.value)
        umax = min(umax, bits.value | bits.mask)
        for _ in 0..<2 {
            if (umin ^ umax) >> 63 == 0 {
                smin = max(smin, Int64(bitPattern: umin))
                smax = min(smax, Int64(bitPattern: umax))
            }
            if smin >= 0 || smax < 0 {
                umin = max(umin, UInt64(bitPattern: smin))
                umax = min(umax, UInt64(bitPattern: smax))
            }
        }
        if umin <= umax { bits = bits.intersect(.range(umin, umax)) }
    }

    public var isEmpty: Bool { umin > umax || smin > smax }

    /// Whether every value `other` may hold is one this value may hold.
    public func contains(_ other: ScalarValue) -> Bool {
        smin <= other.smin && smax >= other.smax && umin <= other.umin && umax >= other.umax && bits.contains(other.bits)
    }

    // MARK: 32-bit views

    /// The low 32 bits as an unsigned range.
    public var u32Range: (UInt64, UInt64) {
        if umax <= 0xFFFF_FFFF { return (umin, umax) }
        if umax >> 32 == umin >> 32 { return (umin & 0xFFFF_FFFF, umax & 0xFFFF_FFFF) }
        let t = bits.subregister
        return (t.value, t.maxValue)
    }

    /// The value's low 32 bits, zero-extended (what an ALU32 op sees and writes).
    public var subregister: ScalarValue {
        let (lo, hi) = u32Range
        return ScalarValue(bits: bits.subregister, umin: lo, umax: hi)
    }

    /// The low 32 bits read as s32, sign-extended to 64 bits.
    public var signedSubregister: ScalarValue {
        let sub = subregister
        if sub.umax <= 0x7FFF_FFFF { return sub }
        if sub.umin >= 0x8000_0000 {
            return ScalarValue(smin: Int64(Int32(bitPattern: UInt32(sub.umin))), smax: Int64(Int32(bitPattern: UInt32(sub.umax))))
        }
        return ScalarValue(smin: Int64(Int32.min), smax: Int64(Int32.max))
    }

    // MARK: Printing

    /// `2`, `scalar()`, `scalar(smin=..,umax=..,var_off=(0x0; 0xff))` as the kernel prints a scalar.
    public var description: String {
        if let c = constantValue { return "\(Int64(bitPattern: c))" }
        var parts: [String] = []
        if smin != .min && smin != Int64(bitPattern: umin) { parts.append("smin=\(smin)") }
        if smax != .max && smax != Int64(bitPattern: umax) { parts.append("smax=\(smax)") }
        if umin != 0 { parts.append("umin=\(umin)") }
        if umax != .max { parts.append("umax=\(umax)") }
        if !(bits.value == 0 && bits.mask == .max) { parts.append("var_off=\(bits.description)") }
        return "scalar(" + parts.joined(separator: ",") + ")"
    }
}
