/// BPF Type Format: the type graph of an object (`.BTF`) or of a kernel (`/sys/kernel/btf/vmlinux`),
/// parsed from bytes or built in Swift (`BTF+Builder.swift`). Type id 0 is `void`; ids index `types`.
public struct BTF: Sendable, Hashable {
    public enum Kind: UInt8, Sendable, Hashable, CustomStringConvertible {
        case void = 0, int, pointer, array, structure, union, enumeration, forward, typedef, volatile, const, restrict
        case function, functionProto, variable, dataSection, float, declTag, typeTag, enum64

        public var description: String {
            switch self {
            case .void: "VOID"
            case .int: "INT"
            case .pointer: "PTR"
            case .array: "ARRAY"
            case .structure: "STRUCT"
            case .union: "UNION"
            case .enumeration: "ENUM"
            case .forward: "FWD"
            case .typedef: "TYPEDEF"
            case .volatile: "VOLATILE"
            case .const: "CONST"
            case .restrict: "RESTRICT"
            case .function: "FUNC"
            case .functionProto: "FUNC_PROTO"
            case .variable: "VAR"
            case .dataSection: "DATASEC"
            case .float: "FLOAT"
            case .declTag: "DECL_TAG"
            case .typeTag: "TYPE_TAG"
            case .enum64: "ENUM64"
            }
        }
    }

    /// A struct/union member: bit offset from the start, and the bitfield width (0 = not a bitfield).
    public struct Member: Sendable, Hashable {
        public var name: String
        public var type: UInt32
        public var bitOffset: UInt32
        public var bitfieldSize: UInt32
        public init(name: String, type: UInt32, bitOffset: UInt32, bitfieldSize: UInt32 = 0) {
            self.name = name
            self.type = type
            self.bitOffset = bitOffset
            self.bitfieldSize = bitfieldSize
        }
    }

    public struct EnumValue: Sendable, Hashable {
        public var name: String
        public var value: Int64
        public init(name: String, value: Int64) {
            self.name = name
            self.value = value
        }
    }

    /// A FUNC_PROTO parameter (a name may be empty; a last parameter of type 0 is `...`).
    public struct Parameter: Sendable, Hashable {
        public var name: String
        public var type: UInt32
        public init(name: String, type: UInt32) {
            self.name = name
            self.type = type
        }
    }

    /// A DATASEC entry: a VAR (or FUNC for `.ksyms`) at an offset with a size.
    public struct SectionVariable: Sendable, Hashable {
        public var type: UInt32
        public var offset: UInt32
        public var size: UInt32
    }

    /// One type. Fields that do not apply to its kind are empty or zero.
    public struct TypeEntry: Sendable, Hashable {
        public var kind: Kind
        public var name: String
        public var kindFlag: Bool
        /// `size` for INT, STRUCT, UNION, ENUM, ENUM64, FLOAT, DATASEC; the referenced type for PTR,
        /// TYPEDEF, modifiers, FUNC, FUNC_PROTO (return type), VAR, DECL_TAG, TYPE_TAG.
        public var sizeOrType: UInt32
        /// INT: encoding (1 signed, 2 char, 4 bool), bit offset and bit count.
        public var intEncoding: UInt8 = 0
        public var intOffset: UInt8 = 0
        public var intBits: UInt8 = 0
        /// ARRAY: element type, index type, element count.
        public var arrayElement: UInt32 = 0
        public var arrayIndex: UInt32 = 0
        public var arrayCount: UInt32 = 0
        public var members: [Member] = []
        public var enumValues: [EnumValue] = []
        public var parameters: [Parameter] = []
        public var variables: [SectionVariable] = []
        /// FUNC: linkage (0 static, 1 global, 2 extern); VAR: linkage (0 static, 1 global, 2 extern).
        public var linkage: UInt32 = 0
        /// DECL_TAG: the member/parameter index, or -1 for the type itself.
        public var componentIndex: Int32 = -1

        public init(kind: Kind, name: String = "", kindFlag: Bool = false, sizeOrType: UInt32 = 0) {
            self.kind = kind
            self.name = name
            self.kindFlag = kindFlag
            self.sizeOrType = sizeOrType
        }

        /// Whether an INT is signed, or an ENUM/ENUM64 has signed values.
        public var isSigned: Bool {
            switch kind {
            case .int: intEncoding & 1 != 0
            case .enumeration, .enum64: kindFlag
            default: false
            }
        }
    }

    public var types: [TypeEntry]

    /// An empty BTF holding only `void`.
    public init() { types = [TypeEntry(kind: .void)] }

    public var count: Int { types.count }

    public subscript(id: UInt32) -> TypeEntry { types[Int(id)] }

    /// Whether `id` names a type of this BTF.
    public func contains(_ id: UInt32) -> Bool { Int(id) < types.count }

    /// Follows TYPEDEF, CONST, VOLATILE, RESTRICT and TYPE_TAG to the underlying type id.
    public func skippingModifiers(_ id: UInt32) -> UInt32 {
        var current = id
        for _ in 0..<64 {
            guard contains(current) else { return current }
            switch types[Int(current)].kind {
            case .typedef, .const, .volatile, .restrict, .typeTag: current = types[Int(current)].sizeOrType
            default: return current
            }
        }
        return current
    }

    /// The byte size of a type (pointers are 8 bytes), or nil if it has none (void, functions).
    public func size(of id: UInt32) -> Int? {
        var current = id
        var multiplier = 1
        for _ in 0..<64 {
            guard contains(current) else { return nil }
            let t = types[Int(current)]
            switch t.kind {
            case .int, .structure, .union, .enumeration, .enum64, .float, .dataSection:
                let (size, overflow) = Int(t.sizeOrType).multipliedReportingOverflow(by: multiplier)
                return overflow ? nil : size
            case .pointer:
                let (size, overflow) = 8.multipliedReportingOverflow(by: multiplier)
                return overflow ? nil : size
            case .typedef, .const, .volatile, .restrict, .typeTag, .variable: current = t.sizeOrType
            case .array:
                let (m, overflow) = multiplier.multipliedReportingOverflow(by: Int(t.arrayCount))
                if overflow || m > Int(UInt32.max) * 64 { return nil }
                multiplier = m
                current = t.arrayElement
            default: return nil
            }
        }
        return nil
    }

    /// Every type id with this name (and kind, when given).
    public func ids(named name: String, kind: Kind? = nil) -> [UInt32] {
        var result: [UInt32] = []
        for (i, t) in types.enumerated() where t.name == name && (kind == nil || t.kind == kind) { result.append(UInt32(i)) }
        return result
    }

    /// The first type with this name and kind.
    public func firstID(named name: String, kind: Kind? = nil) -> UInt32? {
        types.indices.first { types[$0].name == name && (kind == nil || types[$0].kind == kind) }.map(UInt32.init)
    }

    /// A C-like spelling of a type, for messages (`struct nf_conn *`, `unsigned int`, `u8[6]`).
    public func typeName(_ id: UInt32) -> String {
        guard contains(id) else { return "<bad type \(id)>" }
        let t = types[Int(id)]
        switch t.kind {
        case .void: return "void"
        case .pointer: return typeName(t.sizeOrType) + " *"
        case .const: return "const " + typeName(t.sizeOrType)
        case .volatile: return "volatile " + typeName(t.sizeOrType)
        case .array: return typeName(t.arrayElement) + "[\(t.arrayCount)]"
        case .structure: return "struct " + (t.name.isEmpty ? "(anon)" : t.name)
        case .union: return "union " + (t.name.isEmpty ? "(anon)" : t.name)
        case .enumeration, .enum64: return "enum " + (t.name.isEmpty ? "(anon)" : t.name)
        case .forward: return (t.kindFlag ? "union " : "struct ") + t.name
        case .functionProto:
            return typeName(t.sizeOrType) + " (" + t.parameters.map { $0.type == 0 ? "..." : typeName($0.type) }.joined(separator: ", ") + ")"
        default: return t.name.isEmpty ? "(anon \(t.kind))" : t.name
        }
    }
}
