/// Builds a BTF in Swift, so a module can describe the kernel types it models (the kfunc set's
/// `nf_conn`, this module's UAPI types) without a kernel. Each `add` returns the new type id.
///
/// ```swift
/// var b = BTFBuilder()
/// let u32 = b.int("unsigned int", size: 4)
/// let md = b.structure("xdp_md", size: 24, members: [("data", u32, 0), ("data_end", u32, 32)])
/// ```
public struct BTFBuilder: Sendable {
    public private(set) var btf: BTF

    public init(extending btf: BTF = BTF()) { self.btf = btf }

    @discardableResult
    public mutating func add(_ entry: BTF.TypeEntry) -> UInt32 {
        btf.types.append(entry)
        return UInt32(btf.types.count - 1)
    }

    /// An integer type; `bits` defaults to `size * 8`.
    public mutating func int(_ name: String, size: Int, signed: Bool = false, char: Bool = false, bool: Bool = false) -> UInt32 {
        if let existing = btf.types.indices.first(where: { btf.types[$0].kind == .int && btf.types[$0].name == name }) {
            return UInt32(existing)
        }
        var e = BTF.TypeEntry(kind: .int, name: name, sizeOrType: UInt32(size))
        e.intEncoding = (signed ? 1 : 0) | (char ? 2 : 0) | (bool ? 4 : 0)
        e.intBits = UInt8(size * 8)
        return add(e)
    }

    public mutating func pointer(to type: UInt32) -> UInt32 { add(BTF.TypeEntry(kind: .pointer, sizeOrType: type)) }
    public mutating func typedef(_ name: String, _ type: UInt32) -> UInt32 { add(BTF.TypeEntry(kind: .typedef, name: name, sizeOrType: type)) }
    public mutating func const(_ type: UInt32) -> UInt32 { add(BTF.TypeEntry(kind: .const, sizeOrType: type)) }
    public mutating func volatile(_ type: UInt32) -> UInt32 { add(BTF.TypeEntry(kind: .volatile, sizeOrType: type)) }

    public mutating func array(of element: UInt32, count: Int) -> UInt32 {
        let index = int("__ARRAY_SIZE_TYPE__", size: 4)
        var e = BTF.TypeEntry(kind: .array)
        e.arrayElement = element
        e.arrayIndex = index
        e.arrayCount = UInt32(count)
        return add(e)
    }

    /// A struct (or union) whose members are (name, type, bit offset) or, with a fourth value, bitfields.
    public mutating func structure(_ name: String, size: Int, union: Bool = false, members: [(String, UInt32, Int)]) -> UInt32 {
        composite(name, size: size, union: union, members: members.map { BTF.Member(name: $0.0, type: $0.1, bitOffset: UInt32($0.2)) })
    }

    public mutating func composite(_ name: String, size: Int, union: Bool = false, members: [BTF.Member]) -> UInt32 {
        var e = BTF.TypeEntry(kind: union ? .union : .structure, name: name, kindFlag: members.contains { $0.bitfieldSize != 0 }, sizeOrType: UInt32(size))
        e.members = members
        return add(e)
    }

    /// Reserves a struct id now and fills its members later (for self-referencing types).
    public mutating func declareStructure(_ name: String, size: Int, union: Bool = false) -> UInt32 {
        add(BTF.TypeEntry(kind: union ? .union : .structure, name: name, sizeOrType: UInt32(size)))
    }

    public mutating func define(_ id: UInt32, members: [BTF.Member]) {
        btf.types[Int(id)].members = members
        btf.types[Int(id)].kindFlag = members.contains { $0.bitfieldSize != 0 }
    }

    public mutating func enumeration(_ name: String, size: Int = 4, signed: Bool = false, values: [(String, Int64)]) -> UInt32 {
        let wide = size == 8
        var e = BTF.TypeEntry(kind: wide ? .enum64 : .enumeration, name: name, kindFlag: signed, sizeOrType: UInt32(size))
        e.enumValues = values.map { BTF.EnumValue(name: $0.0, value: $0.1) }
        return add(e)
    }

    public mutating func forward(_ name: String, union: Bool = false) -> UInt32 { add(BTF.TypeEntry(kind: .forward, name: name, kindFlag: union)) }

    public mutating func functionProto(returning type: UInt32, parameters: [(String, UInt32)]) -> UInt32 {
        var e = BTF.TypeEntry(kind: .functionProto, sizeOrType: type)
        e.parameters = parameters.map { BTF.Parameter(name: $0.0, type: $0.1) }
        return add(e)
    }

    /// A FUNC of a prototype; linkage 0 static, 1 global, 2 extern (kfuncs are global in vmlinux).
    public mutating func function(_ name: String, proto: UInt32, linkage: UInt32 = 1) -> UInt32 {
        var e = BTF.TypeEntry(kind: .function, name: name, sizeOrType: proto)
        e.linkage = linkage
        return add(e)
    }

    public mutating func declTag(_ name: String, on type: UInt32, component: Int32 = -1) -> UInt32 {
        var e = BTF.TypeEntry(kind: .declTag, name: name, sizeOrType: type)
        e.componentIndex = component
        return add(e)
    }
}
