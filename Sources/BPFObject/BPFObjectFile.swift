/// A clang-built BPF object: its programs (named and typed by libbpf's section conventions), its
/// maps (BTF-defined `.maps` and the global-data sections), its externs, and its BTF / BTF.ext.
/// `load(_:options:)` turns one program into a `LoadedProgram` (BPFObjectFile+Loading.swift).
public struct BPFObjectFile: Sendable {
    /// One program: a FUNC symbol in an executable section other than `.text`.
    public struct Program: Sendable, Hashable {
        public var name: String
        public var sectionName: String
        public var convention: SectionConvention
        public var type: ProgramType { convention.type }
        /// The ELF section and the instruction range of the function in it.
        public var sectionIndex: Int
        public var start: Int
        public var count: Int
    }

    /// A function in an executable section (programs and `.text` subprograms).
    public struct Function: Sendable, Hashable {
        public var name: String
        public var sectionIndex: Int
        public var start: Int
        public var count: Int
        public var isGlobal: Bool
    }

    /// An `extern` the loader resolves: a kfunc (`__ksym` function), a kernel variable (`__ksym`)
    /// or a Kconfig value (`__kconfig`).
    public struct Extern: Sendable, Hashable {
        public enum Kind: Sendable, Hashable { case kfunc, ksymVariable, kconfig }
        public var name: String
        public var kind: Kind
        public var isWeak: Bool
        /// The object's BTF id of the FUNC (kfuncs) or VAR.
        public var btfID: UInt32?
    }

    /// libbpf's object name: the file's base name up to its first dot (`xdp_ct_firewall`).
    public var name: String
    public let elf: ELFFile
    public var btf: BTF?
    public var btfExt: BTFExt?
    public var programs: [Program] = []
    public var functions: [Function] = []
    public var maps: [MapDefinition] = []
    /// Which ELF section each global-data map stands for (map index → section index).
    public var dataSections: [Int: Int] = [:]
    public var externs: [Extern] = []
    public var license: String = ""

    /// Parses an object file.
    /// - Parameters:
    ///   - bytes: the file's contents.
    ///   - fileName: the file name (or path); libbpf derives the object name and the global-data
    ///     map names (`xdp_ct_f.bss`) from it.
    /// - Throws: `BPFObjectError` for a malformed ELF, BTF or BTF.ext, or a bad map definition.
    public init(bytes: [UInt8], fileName: String) throws(BPFObjectError) {
        let base = fileName.split(separator: "/").last.map(String.init) ?? fileName
        name = String(String(base.prefix { $0 != "." }).prefix(15))
        elf = try ELFFile(bytes: bytes)

        if let section = elf.section(named: "license") { license = String(decoding: section.data.prefix { $0 != 0 }, as: UTF8.self) }
        if let section = elf.section(named: ".BTF") {
            var parsed = try BTF(bytes: section.data, base: section.offset)
            let strings = try BTF.stringSection(of: section.data, base: section.offset)
            if let ext = elf.section(named: ".BTF.ext") {
                btfExt = try BTFExt(
                    bytes: ext.data, btfStrings: { (o: UInt32) throws(BPFObjectError) -> String in try strings.cString(Int(o), "BTF.ext string") },
                    base: ext.offset)
            }
            if let ext = btfExt {
                for (section, infos) in ext.funcInfo {
                    if let bad = infos.first(where: { !parsed.contains($0.typeID) || parsed[$0.typeID].kind != .function }) {
                        throw BPFObjectError(.badBTF, "func_info of \(section) at instruction \(bad.instruction) names type \(bad.typeID), which is not a FUNC", section: ".BTF.ext")
                    }
                }
            }
            fixUpDataSections(&parsed)
            btf = parsed
        }
        try collectFunctions()
        try collectMaps()
        collectExterns()
    }

    /// The object's symbol table.
    public var symbols: [ELFFile.Symbol] { elf.symbols }

    /// The program named `name`.
    public func program(named name: String) -> Program? { programs.first { $0.name == name } }

    private mutating func collectFunctions() throws(BPFObjectError) {
        for symbol in elf.symbols where symbol.isFunction && !symbol.isUndefined && Int(symbol.sectionIndex) < elf.sections.count {
            let section = elf.sections[Int(symbol.sectionIndex)]
            guard section.isExecutable else { continue }
            guard symbol.value % 8 == 0, symbol.size % 8 == 0, symbol.value <= UInt64(section.size), symbol.size <= UInt64(section.size) - symbol.value else {
                throw BPFObjectError(
                    .malformed, "function \(symbol.name) (\(symbol.size) bytes at \(symbol.value)) does not fit section \(section.name) of \(section.size) bytes",
                    offset: section.offset)
            }
            let function = Function(
                name: symbol.name, sectionIndex: section.index, start: Int(symbol.value / 8), count: Int(symbol.size / 8), isGlobal: symbol.isGlobal)
            functions.append(function)
            if section.name != ".text", let convention = SectionConvention(sectionName: section.name) {
                programs.append(
                    Program(name: symbol.name, sectionName: section.name, convention: convention, sectionIndex: section.index, start: function.start, count: function.count))
            }
        }
        programs.sort { ($0.sectionIndex, $0.start) < ($1.sectionIndex, $1.start) }
    }

    /// libbpf's name for a global-data map: up to 8 characters of the object name, then the section
    /// name (no prefix for custom `.data.foo`-style sections), at most 15 characters.
    public static func internalMapName(objectName: String, section: String) -> String {
        let suffixLength = min(max(7, section.count), 15)
        let prefixLength = section.dropFirst().contains(".") ? 0 : min(16 - suffixLength - 1, objectName.count)
        let raw = String(objectName.prefix(prefixLength)) + String(section.prefix(suffixLength))
        return String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") ? $0 : "_" })
    }

    private static func isDataSection(_ s: ELFFile.Section) -> Bool {
        guard s.flags & ELFFile.Section.flagAlloc != 0, s.flags & ELFFile.Section.flagExec == 0 else { return false }
        return s.name == ".data" || s.name == ".bss" || s.name.hasPrefix(".rodata") || s.name.hasPrefix(".data.")
    }

    private mutating func collectMaps() throws(BPFObjectError) {
        if let section = elf.section(named: ".maps") {
            guard let btf, let datasec = btf.firstID(named: ".maps", kind: .dataSection) else {
                throw BPFObjectError(.malformed, "section .maps has no BTF description (BTF-defined maps need -g)", offset: section.offset)
            }
            for variable in btf[datasec].variables {
                maps.append(try Self.mapDefinition(btf: btf, variable: variable.type))
            }
        }
        for section in elf.sections where Self.isDataSection(section) {
            let readOnly = section.name.hasPrefix(".rodata")
            let data = section.type == ELFFile.Section.typeNoBits ? [UInt8](repeating: 0, count: section.size) : section.data
            dataSections[maps.count] = section.index
            maps.append(
                MapDefinition(
                    name: Self.internalMapName(objectName: name, section: section.name), type: .array, keySize: 4, valueSize: section.size,
                    maxEntries: 1, flags: readOnly ? 0x80 | 0x400 : 0x400, initialValue: data, keyTypeID: nil,
                    valueTypeID: btf?.firstID(named: section.name, kind: .dataSection)))
        }
    }

    /// Reads one BTF-defined map: `struct { __uint(type, ...); __type(key, ...); ... } name SEC(".maps")`.
    static func mapDefinition(btf: BTF, variable: UInt32) throws(BPFObjectError) -> MapDefinition {
        let v = btf[variable]
        let name = v.name
        let def = btf.skippingModifiers(v.sizeOrType)
        guard btf.contains(def), btf[def].kind == .structure else {
            throw BPFObjectError(.malformed, "map \(name): definition is not a struct")
        }
        var result = MapDefinition(name: name, type: MapType(rawValue: 0), keySize: 0, valueSize: 0, maxEntries: 0)
        func uintValue(_ member: BTF.Member) throws(BPFObjectError) -> Int {
            let ptr = btf.skippingModifiers(member.type)
            guard btf[ptr].kind == .pointer else { throw BPFObjectError(.malformed, "map \(name): \(member.name) is not __uint()") }
            let array = btf.skippingModifiers(btf[ptr].sizeOrType)
            guard btf[array].kind == .array else { throw BPFObjectError(.malformed, "map \(name): \(member.name) is not __uint()") }
            return Int(btf[array].arrayCount)
        }
        func typeValue(_ member: BTF.Member) throws(BPFObjectError) -> (UInt32, Int) {
            let ptr = btf.skippingModifiers(member.type)
            guard btf[ptr].kind == .pointer else { throw BPFObjectError(.malformed, "map \(name): \(member.name) is not __type()") }
            let target = btf[ptr].sizeOrType
            guard let size = btf.size(of: target) else { throw BPFObjectError(.malformed, "map \(name): \(member.name) type has no size") }
            return (target, size)
        }
        for member in btf[def].members {
            switch member.name {
            case "type": result.type = MapType(rawValue: UInt32(try uintValue(member)))
            case "max_entries": result.maxEntries = try uintValue(member)
            case "map_flags": result.flags = UInt32(truncatingIfNeeded: try uintValue(member))
            case "key_size": result.keySize = try uintValue(member)
            case "value_size": result.valueSize = try uintValue(member)
            case "key": (result.keyTypeID, result.keySize) = try typeValue(member)
            case "value": (result.valueTypeID, result.valueSize) = try typeValue(member)
            case "pinning", "numa_node", "map_extra", "values", "inner_map", "map_ifindex": break
            default: throw BPFObjectError(.unsupported, "map \(name): unknown attribute \(member.name)")
            }
        }
        return result
    }

    private mutating func collectExterns() {
        for symbol in elf.symbols where symbol.isUndefined && symbol.isGlobal && !symbol.name.isEmpty {
            var kind: Extern.Kind = .ksymVariable
            var btfID: UInt32?
            if let btf {
                if let kconfig = btf.firstID(named: ".kconfig", kind: .dataSection),
                    let v = btf[kconfig].variables.first(where: { btf[$0.type].name == symbol.name })
                {
                    kind = .kconfig
                    btfID = v.type
                } else if let id = btf.types.indices.first(where: {
                    btf.types[$0].kind == .function && btf.types[$0].name == symbol.name && btf.types[$0].linkage == 2
                }) {
                    kind = .kfunc
                    btfID = UInt32(id)
                } else if let id = btf.firstID(named: symbol.name, kind: .variable) {
                    btfID = id
                }
            }
            if btfID == nil && symbol.isFunction { kind = .kfunc }
            externs.append(Extern(name: symbol.name, kind: kind, isWeak: symbol.isWeak, btfID: btfID))
        }
    }

    /// clang leaves DATASEC sizes and variable offsets at 0: take them from the ELF sections and
    /// symbols, as libbpf does (and as `.bss`, which clang does not lay out in declaration order, needs).
    private func fixUpDataSections(_ btf: inout BTF) {
        for id in btf.types.indices where btf.types[id].kind == .dataSection {
            guard let section = elf.section(named: btf.types[id].name) else { continue }
            btf.types[id].sizeOrType = UInt32(section.size)
            for j in btf.types[id].variables.indices {
                let variable = btf.types[id].variables[j].type
                guard btf.contains(variable) else { continue }
                let varName = btf[variable].name
                if let symbol = elf.symbols.first(where: { $0.name == varName && Int($0.sectionIndex) == section.index }) {
                    btf.types[id].variables[j].offset = UInt32(truncatingIfNeeded: symbol.value)
                }
            }
            btf.types[id].variables.sort { $0.offset < $1.offset }
        }
    }
}

extension BTF {
    /// The string section of a `.BTF` blob, for `.BTF.ext` name lookups.
    static func stringSection(of bytes: [UInt8], base: Int) throws(BPFObjectError) -> ByteReader {
        let r = ByteReader(bytes, base: base, context: ".BTF")
        let headerLength = Int(try r.u32(4, "BTF hdr_len"))
        let offset = headerLength + Int(try r.u32(16, "str_off"))
        let length = Int(try r.u32(20, "str_len"))
        return ByteReader(try r.slice(offset, length, "BTF string section"), base: base + offset, context: ".BTF")
    }
}
