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

    /// `2`, `scalar()`, `scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))` as the
    /// kernel prints a scalar.
    public var description: String {
        if let c = constantValue { return Self.signedNumber(c) }
        return "scalar(" + detailParts.joined(separator: ",") + ")"
    }

    /// The bounds (`print_scalar_ranges`: defaults omitted, equal values of the same sign joined
    /// as `smax=umax=...`) and the bits when they say something.
    public var detailParts: [String] {
        let (u32min, u32max) = u32Range
        let s32 = signedSubregister
        var entries: [(name: String, value: UInt64, omit: Bool)] = [
            ("smin", UInt64(bitPattern: smin), smin == .min), ("smax", UInt64(bitPattern: smax), smax == .max),
            ("umin", umin, umin == 0), ("umax", umax, umax == .max),
            ("smin32", UInt64(bitPattern: s32.smin), s32.smin == Int64(Int32.min)),
            ("smax32", UInt64(bitPattern: s32.smax), s32.smax == Int64(Int32.max)),
            ("umin32", u32min, u32min == 0), ("umax32", u32max, u32max == 0xFFFF_FFFF),
        ]
        var parts: [String] = []
        for a in entries.indices where !entries[a].omit {
            let negative = entries[a].name.hasPrefix("s") && Int64(bitPattern: entries[a].value) < 0
            var text = entries[a].name
            var b = a + 2
            while b < entries.count {
                defer { b += 2 }
                guard !entries[b].omit else { continue }
                let other = entries[b].name.hasPrefix("s") && Int64(bitPattern: entries[b].value) < 0
                guard negative == other, entries[a].value == entries[b].value else { continue }
                text += "=" + entries[b].name
                entries[b].omit = true
            }
            let value = entries[a].value
            parts.append(text + "=" + (entries[a].name.hasPrefix("s") ? Self.signedNumber(value) : Self.unsignedNumber(value)))
        }
        if !(bits.value == 0 && bits.mask == .max) { parts.append("var_off=\(bits.description)") }
        return parts
    }

    /// `verbose_snum`: decimal within ±U16_MAX, else the 64-bit pattern in hex.
    static func signedNumber(_ c: UInt64) -> String {
        let v = Int64(bitPattern: c)
        return v >= -65535 && v <= 65535 ? "\(v)" : "0x" + String(c, radix: 16)
    }

    /// `verbose_unum`: decimal up to U16_MAX (or from U64_MAX - U16_MAX), else hex.
    static func unsignedNumber(_ c: UInt64) -> String {
        c <= 65535 || c >= UInt64.max - 65535 ? "\(c)" : "0x" + String(c, radix: 16)
    }
}
