/// A 64-bit little-endian relocatable ELF file for the BPF machine (EM_BPF, 247): its sections,
/// its symbol table and its relocation tables. Everything is bounds-checked; anything else (a
/// 32-bit or big-endian file, another machine, a table running past the end) is refused with a
/// `BPFObjectError` naming the structure and the byte offset.
public struct ELFFile: Sendable {
    public static let machineBPF: UInt16 = 247

    public struct Section: Sendable, Hashable {
        public var index: Int
        public var name: String
        public var type: UInt32
        public var flags: UInt64
        public var offset: Int
        public var size: Int
        public var link: UInt32
        public var info: UInt32
        public var entrySize: Int
        /// The section's bytes (empty for SHT_NOBITS).
        public var data: [UInt8]

        public static let typeProgBits: UInt32 = 1
        public static let typeSymTab: UInt32 = 2
        public static let typeStrTab: UInt32 = 3
        public static let typeRel: UInt32 = 9
        public static let typeNoBits: UInt32 = 8
        public static let flagWrite: UInt64 = 0x1
        public static let flagAlloc: UInt64 = 0x2
        public static let flagExec: UInt64 = 0x4

        public var isExecutable: Bool { type == Self.typeProgBits && flags & Self.flagExec != 0 }
    }

    public struct Symbol: Sendable, Hashable {
        public var index: Int
        public var name: String
        public var info: UInt8
        public var other: UInt8
        public var sectionIndex: UInt16
        public var value: UInt64
        public var size: UInt64

        public var binding: UInt8 { info >> 4 }
        public var type: UInt8 { info & 0xF }
        public var isFunction: Bool { type == 2 }
        public var isSection: Bool { type == 3 }
        public var isGlobal: Bool { binding == 1 || binding == 2 }
        public var isWeak: Bool { binding == 2 }
        public var isUndefined: Bool { sectionIndex == 0 }
        /// STV_HIDDEN / STV_INTERNAL make a symbol static to the object.
        public var visibility: UInt8 { other & 3 }
    }

    public struct Relocation: Sendable, Hashable {
        /// Byte offset inside the target section.
        public var offset: Int
        public var symbolIndex: Int
        public var type: UInt32
    }

    public let bytes: [UInt8]
    public private(set) var sections: [Section] = []
    public private(set) var symbols: [Symbol] = []
    /// Relocation tables, keyed by the index of the section they apply to.
    public private(set) var relocations: [Int: [Relocation]] = [:]

    /// Parses `bytes` as a BPF relocatable object.
    /// - Throws: `BPFObjectError` for anything that is not a well-formed 64-bit little-endian EM_BPF file.
    public init(bytes: [UInt8]) throws(BPFObjectError) {
        self.bytes = bytes
        let r = ByteReader(bytes)
        guard bytes.count >= 4, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else {
            throw BPFObjectError(.notELF, "not an ELF file (bad magic)", offset: 0)
        }
        let elfClass = try r.u8(4, "ELF class")
        guard elfClass == 2 else {
            throw BPFObjectError(.unsupportedELF, "ELF class \(elfClass) is not ELFCLASS64 (a BPF object is 64-bit)", offset: 4)
        }
        let data = try r.u8(5, "ELF data encoding")
        guard data == 1 else {
            throw BPFObjectError(
                .unsupportedELF, data == 2 ? "big-endian ELF (ctsim loads little-endian BPF objects)" : "ELF data encoding \(data) is unknown", offset: 5)
        }
        try r.check(0, 64, "ELF header")
        let machine = try r.u16(18, "e_machine")
        guard machine == Self.machineBPF else {
            throw BPFObjectError(.unsupportedELF, "e_machine \(machine) is not EM_BPF (247)", offset: 18)
        }
        let type = try r.u16(16, "e_type")
        guard type == 1 else {
            throw BPFObjectError(.unsupportedELF, "e_type \(type) is not ET_REL (a relocatable object)", offset: 16)
        }
        let shoff = try Int(field: r.u64(40, "e_shoff"), "e_shoff", at: 40)
        let shentsize = Int(try r.u16(58, "e_shentsize"))
        var shnum = Int(try r.u16(60, "e_shnum"))
        var shstrndx = Int(try r.u16(62, "e_shstrndx"))
        guard shoff != 0 else { throw BPFObjectError(.malformed, "no section header table (e_shoff is 0)", offset: 40) }
        guard shentsize == 64 else {
            throw BPFObjectError(.malformed, "e_shentsize \(shentsize) is not 64", offset: 58)
        }
        if shnum == 0 {  // extended numbering: the count is in section 0's sh_size
            shnum = try Int(field: r.u64(shoff + 32, "section 0 sh_size"), "section count", at: shoff + 32)
        }
        if shstrndx == 0xFFFF { shstrndx = Int(try r.u32(shoff + 40, "section 0 sh_link")) }
        guard shnum <= 65535 else { throw BPFObjectError(.malformed, "\(shnum) sections", offset: shoff) }
        try r.check(shoff, shnum * 64, "section header table (\(shnum) entries)")

        var raw: [(name: UInt32, section: Section)] = []
        for i in 0..<shnum {
            let h = shoff + i * 64
            let nameOffset = try r.u32(h, "sh_name")
            let shType = try r.u32(h + 4, "sh_type")
            let flags = try r.u64(h + 8, "sh_flags")
            let offset = try Int(field: r.u64(h + 24, "sh_offset"), "sh_offset of section \(i)", at: h + 24)
            let size = try Int(field: r.u64(h + 32, "sh_size"), "sh_size of section \(i)", at: h + 32)
            let link = try r.u32(h + 40, "sh_link")
            let info = try r.u32(h + 44, "sh_info")
            let entsize = try Int(field: r.u64(h + 56, "sh_entsize"), "sh_entsize of section \(i)", at: h + 56)
            var content: [UInt8] = []
            if i != 0 && shType != Section.typeNoBits && shType != 0 {
                guard offset <= bytes.count, size <= bytes.count - offset else {
                    throw BPFObjectError(
                        .truncated, "section \(i) (\(size) bytes at \(offset)) runs past the end of the file (\(bytes.count) bytes)",
                        offset: h + 24)
                }
                content = Array(bytes[offset..<(offset + size)])
            }
            raw.append(
                (nameOffset, Section(index: i, name: "", type: shType, flags: flags, offset: offset, size: size, link: link,
                    info: info, entrySize: entsize, data: content)))
        }
        guard shstrndx < raw.count, raw[shstrndx].section.type == Section.typeStrTab else {
            throw BPFObjectError(.malformed, "e_shstrndx \(shstrndx) is not a string table", offset: 62)
        }
        let shstr = ByteReader(raw[shstrndx].section.data, base: raw[shstrndx].section.offset)
        for (nameOffset, var section) in raw {
            section.name = section.index == 0 ? "" : try shstr.cString(Int(nameOffset), "name of section \(section.index)")
            sections.append(section)
        }

        // The symbol table (one per object).
        if let symtab = sections.first(where: { $0.type == Section.typeSymTab }) {
            guard symtab.entrySize == 24, symtab.size % 24 == 0 else {
                throw BPFObjectError(.malformed, "symbol table entry size \(symtab.entrySize) / size \(symtab.size) is not a multiple of 24",
                    offset: symtab.offset, section: symtab.name)
            }
            guard Int(symtab.link) < sections.count, sections[Int(symtab.link)].type == Section.typeStrTab else {
                throw BPFObjectError(.malformed, "symbol table's string table (sh_link \(symtab.link)) is not a string table",
                    offset: symtab.offset)
            }
            let strings = ByteReader(sections[Int(symtab.link)].data, base: sections[Int(symtab.link)].offset)
            let s = ByteReader(symtab.data, base: symtab.offset)
            for i in 0..<(symtab.size / 24) {
                let o = i * 24
                let nameOffset = try s.u32(o, "st_name")
                let shndx = try s.u16(o + 6, "st_shndx")
                if shndx != 0 && shndx < 0xFF00 && Int(shndx) >= sections.count {
                    throw BPFObjectError(.malformed, "symbol \(i) refers to section \(shndx) of \(sections.count)", offset: symtab.offset + o + 6)
                }
                symbols.append(
                    Symbol(
                        index: i, name: try strings.cString(Int(nameOffset), "name of symbol \(i)"), info: try s.u8(o + 4, "st_info"),
                        other: try s.u8(o + 5, "st_other"), sectionIndex: shndx, value: try s.u64(o + 8, "st_value"),
                        size: try s.u64(o + 16, "st_size")))
            }
        }

        for section in sections where section.type == Section.typeRel {
            let target = Int(section.info)
            guard target < sections.count else {
                throw BPFObjectError(.malformed, "relocation section \(section.name) applies to section \(target) of \(sections.count)",
                    offset: section.offset)
            }
            guard section.size % 16 == 0 else {
                throw BPFObjectError(.malformed, "relocation section size \(section.size) is not a multiple of 16", offset: section.offset,
                    section: section.name)
            }
            let rr = ByteReader(section.data, base: section.offset)
            var list: [Relocation] = []
            list.reserveCapacity(section.size / 16)
            for i in 0..<(section.size / 16) {
                let offset = try Int(field: rr.u64(i * 16, "r_offset"), "r_offset", at: section.offset + i * 16)
                let info = try rr.u64(i * 16 + 8, "r_info")
                let symbol = Int(info >> 32)
                guard symbol < symbols.count else {
                    throw BPFObjectError(.malformed, "relocation \(i) refers to symbol \(symbol) of \(symbols.count)",
                        offset: section.offset + i * 16 + 8)
                }
                list.append(Relocation(offset: offset, symbolIndex: symbol, type: UInt32(truncatingIfNeeded: info)))
            }
            relocations[target, default: []] += list
        }
    }

    /// The section named `name`, if any.
    public func section(named name: String) -> Section? { sections.first { $0.name == name } }
}
