import BPFObject

/// A global variable's value decoded by its BTF type: integers with their signedness, arrays,
/// structs and unions by member name.
public indirect enum GlobalValue: Hashable, Sendable, CustomStringConvertible {
    case signed(Int64)
    case unsigned(UInt64)
    case array([GlobalValue])
    case structure([Field])

    public struct Field: Hashable, Sendable {
        public var name: String
        public var value: GlobalValue
    }

    public var description: String {
        switch self {
        case .signed(let v): String(v)
        case .unsigned(let v): String(v)
        case .array(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .structure(let fields): "{" + fields.map { "\($0.name): \($0.value)" }.joined(separator: ", ") + "}"
        }
    }

    /// The value as a signed integer, when it is one.
    public var integer: Int64? {
        switch self {
        case .signed(let v): v
        case .unsigned(let v): Int64(bitPattern: v)
        default: nil
        }
    }

    /// Decodes `type` from `bytes` at bit offset `bit` (bitfields of `bits` width when nonzero).
    public static func decode(_ btf: BTF, type: UInt32, bytes: [UInt8], bit: Int, bits: Int = 0) -> GlobalValue {
        let id = btf.skippingModifiers(type)
        let t = btf[id]
        func raw(_ bitOffset: Int, _ width: Int) -> UInt64 {
            var v: UInt64 = 0
            let first = bitOffset / 8, last = (bitOffset + width - 1) / 8
            guard first >= 0, last < bytes.count, width > 0 else { return 0 }
            for i in stride(from: last, through: first, by: -1) { v = v << 8 | UInt64(bytes[i]) }
            v >>= UInt64(bitOffset % 8)
            return width >= 64 ? v : v & ((1 << UInt64(width)) - 1)
        }
        func integer(_ width: Int, signed: Bool) -> GlobalValue {
            let v = raw(bit, width)
            if signed, width < 64, width > 0, v & (1 << UInt64(width - 1)) != 0 { return .signed(Int64(bitPattern: v | ~((1 << UInt64(width)) - 1))) }
            return signed ? .signed(Int64(bitPattern: v)) : .unsigned(v)
        }
        switch t.kind {
        case .int:
            return integer(bits > 0 ? bits : Int(t.sizeOrType) * 8, signed: t.isSigned)
        case .enumeration, .enum64:
            return integer(bits > 0 ? bits : Int(t.sizeOrType) * 8, signed: t.isSigned)
        case .pointer:
            return integer(64, signed: false)
        case .array:
            let size = btf.size(of: t.arrayElement) ?? 0
            return .array((0..<Int(t.arrayCount)).map { decode(btf, type: t.arrayElement, bytes: bytes, bit: bit + $0 * size * 8) })
        case .structure, .union:
            return .structure(
                t.members.map {
                    Field(name: $0.name, value: decode(btf, type: $0.type, bytes: bytes, bit: bit + Int($0.bitOffset), bits: Int($0.bitfieldSize)))
                })
        default:
            return integer(min((btf.size(of: id) ?? 8) * 8, 64), signed: false)
        }
    }

    /// The variables of a DATASEC value: (name, value) in section order.
    public static func variables(_ btf: BTF, section: UInt32, bytes: [UInt8]) -> [(String, GlobalValue)] {
        btf[section].variables.compactMap { v in
            let variable = btf[v.type]
            guard variable.kind == .variable else { return nil }
            return (variable.name, decode(btf, type: variable.sizeOrType, bytes: bytes, bit: Int(v.offset) * 8))
        }
    }
}
