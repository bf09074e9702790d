/// A tristate number (`kernel/bpf/tnum.c`): bits set in `mask` are unknown, the others are
/// `value`'s. The verifier's bit-level knowledge of a scalar.
public struct Tnum: Hashable, Sendable {
    public var value: UInt64
    public var mask: UInt64

    public init(value: UInt64, mask: UInt64) {
        self.value = value & ~mask
        self.mask = mask
    }

    public static let unknown = Tnum(value: 0, mask: .max)
    public static func constant(_ v: UInt64) -> Tnum { Tnum(value: v, mask: 0) }

    /// The smallest tnum holding every value of `[min, max]`.
    public static func range(_ min: UInt64, _ max: UInt64) -> Tnum {
        let chi = min ^ max
        if chi == 0 { return .constant(min) }
        let bits = 64 - chi.leadingZeroBitCount
        if bits > 63 { return .unknown }
        let delta = (UInt64(1) << bits) &- 1
        return Tnum(value: min & ~delta, mask: delta)
    }

    public var isConstant: Bool { mask == 0 }
    public var maxValue: UInt64 { value | mask }

    public func contains(_ other: Tnum) -> Bool {
        if other.mask & ~mask != 0 { return false }
        return value == other.value & ~mask
    }

    public static func + (a: Tnum, b: Tnum) -> Tnum {
        let sm = a.mask &+ b.mask
        let sv = a.value &+ b.value
        let sigma = sm &+ sv
        let chi = sigma ^ sv
        let mu = chi | a.mask | b.mask
        return Tnum(value: sv & ~mu, mask: mu)
    }

    public static func - (a: Tnum, b: Tnum) -> Tnum {
        let dv = a.value &- b.value
        let alpha = dv &+ a.mask
        let beta = dv &- b.mask
        let chi = alpha ^ beta
        let mu = chi | a.mask | b.mask
        return Tnum(value: dv & ~mu, mask: mu)
    }

    public static func & (a: Tnum, b: Tnum) -> Tnum {
        let alpha = a.value | a.mask, beta = b.value | b.mask
        let v = a.value & b.value
        return Tnum(value: v, mask: alpha & beta & ~v)
    }

    public static func | (a: Tnum, b: Tnum) -> Tnum {
        let v = a.value | b.value
        let mu = a.mask | b.mask
        return Tnum(value: v, mask: mu & ~v)
    }

    public static func ^ (a: Tnum, b: Tnum) -> Tnum {
        let v = a.value ^ b.value
        let mu = a.mask | b.mask
        return Tnum(value: v & ~mu, mask: mu)
    }

    public static func * (a: Tnum, b: Tnum) -> Tnum {
        var a = a, b = b
        var accV = a.value &* b.value
        var accM = Tnum(value: 0, mask: 0)
        while a.value != 0 || a.mask != 0 {
            if a.value & 1 != 0 {
                accM = accM + Tnum(value: 0, mask: b.mask)
            } else if a.mask & 1 != 0 {
                accM = accM + Tnum(value: 0, mask: b.value | b.mask)
            }
            a = a.rightShift(1)
            b = b.leftShift(1)
        }
        accV = accV & ~accM.mask
        return Tnum(value: accV, mask: 0) + accM
    }

    public func leftShift(_ n: UInt64) -> Tnum { n >= 64 ? .constant(0) : Tnum(value: value << n, mask: mask << n) }
    public func rightShift(_ n: UInt64) -> Tnum { n >= 64 ? .constant(0) : Tnum(value: value >> n, mask: mask >> n) }
    public func arithmeticRightShift(_ n: UInt64, width: Int = 64) -> Tnum {
        if width == 32 {
            let v = UInt64(UInt32(bitPattern: Int32(bitPattern: UInt32(truncatingIfNeeded: value)) >> Int32(n)))
            let m = UInt64(UInt32(bitPattern: Int32(bitPattern: UInt32(truncatingIfNeeded: mask)) >> Int32(n)))
            return Tnum(value: v, mask: m)
        }
        return Tnum(value: UInt64(bitPattern: Int64(bitPattern: value) >> Int64(n)), mask: UInt64(bitPattern: Int64(bitPattern: mask) >> Int64(n)))
    }

    public func intersect(_ b: Tnum) -> Tnum {
        let v = value | b.value
        let mu = mask & b.mask
        return Tnum(value: v & ~mu, mask: mu)
    }

    /// The low 32 bits.
    public var subregister: Tnum { Tnum(value: value & 0xFFFF_FFFF, mask: mask & 0xFFFF_FFFF) }

    /// `(0x0; 0xff)` as the kernel prints it.
    public var description: String { "(0x\(String(value, radix: 16)); 0x\(String(mask, radix: 16)))" }
}
