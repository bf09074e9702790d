/// A value read from a BPF program's global data, shaped by its BTF type.
public indirect enum KernelGlobalValue: Hashable, Sendable, CustomStringConvertible {
    /// A signed integer or enum (BTF_INT_SIGNED, or an enum with the signed flag).
    case signed(Int64)
    /// An unsigned integer, enum, bool, char or pointer.
    case unsigned(UInt64)
    case array([KernelGlobalValue])
    /// A struct or union: its members by name, in BTF order (anonymous members keep an empty name).
    case fields([Field])
    /// Anything else (floats, integers wider than 64 bits), as its bytes.
    case bytes([UInt8])

    public struct Field: Hashable, Sendable {
        public var name: String
        public var value: KernelGlobalValue

        public init(name: String, value: KernelGlobalValue) {
            self.name = name
            self.value = value
        }
    }

    public var description: String {
        switch self {
        case .signed(let value): String(value)
        case .unsigned(let value): String(value)
        case .array(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .fields(let fields): "{" + fields.map { "\($0.name): \($0.value)" }.joined(separator: ", ") + "}"
        case .bytes(let bytes): "0x" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }
    }

    /// The value as an integer, when it is one that fits.
    public var integer: Int64? {
        switch self {
        case .signed(let value): value
        case .unsigned(let value): value <= UInt64(Int64.max) ? Int64(value) : nil
        default: nil
        }
    }
}

/// One global variable of a BPF object, read after a kernel run.
public struct KernelGlobal: Hashable, Sendable {
    /// The variable's BTF name.
    public var name: String
    /// The section it lives in: `.bss`, `.data`, `.rodata` (or `.data.NAME`...).
    public var section: String
    public var value: KernelGlobalValue

    public init(name: String, section: String, value: KernelGlobalValue) {
        self.name = name
        self.section = section
        self.value = value
    }
}

extension Array where Element == KernelGlobal {
    /// The variable called `name`, if any.
    public subscript(name: String) -> KernelGlobalValue? {
        first { $0.name == name }?.value
    }
}
