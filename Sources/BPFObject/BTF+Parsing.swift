extension BTF {
    public static let magic: UInt16 = 0xEB9F

    /// Parses a `.BTF` section or a `/sys/kernel/btf/vmlinux` blob.
    /// - Parameter base: the file offset of the blob, added to offsets in errors.
    /// - Throws: `BPFObjectError` (`.badBTF`, `.truncated`) naming the byte offset in the blob.
    public init(bytes: [UInt8], base: Int = 0, context: String = ".BTF") throws(BPFObjectError) {
        let r = ByteReader(bytes, base: base, context: context)
        let magic = try r.u16(0, "BTF magic")
        guard magic == Self.magic else {
            throw BPFObjectError(
                .badBTF, magic == 0x9FEB ? "big-endian BTF" : "bad BTF magic 0x\(String(magic, radix: 16))", offset: base, section: context)
        }
        let version = try r.u8(2, "BTF version")
        guard version == 1 else { throw BPFObjectError(.badBTF, "BTF version \(version) is not 1", offset: base + 2, section: context) }
        let headerLength = Int(try r.u32(4, "BTF hdr_len"))
        guard headerLength >= 24 else {
            throw BPFObjectError(.badBTF, "BTF header length \(headerLength) < 24", offset: base + 4, section: context)
        }
        try r.check(0, headerLength, "BTF header")
        let typeOffset = Int(try r.u32(8, "type_off")), typeLength = Int(try r.u32(12, "type_len"))
        let stringOffset = Int(try r.u32(16, "str_off")), stringLength = Int(try r.u32(20, "str_len"))
        let typeBytes = try r.slice(headerLength + typeOffset, typeLength, "BTF type section")
        let stringBytes = try r.slice(headerLength + stringOffset, stringLength, "BTF string section")
        guard stringLength == 0 || stringBytes.last == 0 else {
            throw BPFObjectError(.badBTF, "BTF string section does not end with NUL", offset: base + headerLength + stringOffset, section: context)
        }
        let strings = ByteReader(stringBytes, base: base + headerLength + stringOffset, context: context)
        let t = ByteReader(typeBytes, base: base + headerLength + typeOffset, context: context)
        var names: [UInt32: String] = [:]
        func name(_ offset: UInt32, _ what: String) throws(BPFObjectError) -> String {
            if offset == 0 { return "" }
            if let known = names[offset] { return known }
            let s = try strings.cString(Int(offset), what)
            names[offset] = s
            return s
        }

        self.init()
        var p = 0
        while p < typeBytes.count {
            let id = types.count
            let start = p
            let nameOffset = try t.u32(p, "name_off of type \(id)")
            let info = try t.u32(p + 4, "info of type \(id)")
            let sizeOrType = try t.u32(p + 8, "size/type of type \(id)")
            p += 12
            let rawKind = UInt8((info >> 24) & 0x1F)
            guard let kind = Kind(rawValue: rawKind), kind != .void else {
                throw BPFObjectError(.badBTF, "type \(id) has unknown kind \(rawKind)", offset: t.base + start + 4, section: context)
            }
            let vlen = Int(info & 0xFFFF)
            var entry = TypeEntry(kind: kind, name: try name(nameOffset, "name of type \(id)"), kindFlag: info >> 31 != 0, sizeOrType: sizeOrType)
            switch kind {
            case .int:
                let v = try t.u32(p, "INT encoding of type \(id)")
                entry.intEncoding = UInt8((v >> 24) & 0xF)
                entry.intOffset = UInt8((v >> 16) & 0xFF)
                entry.intBits = UInt8(v & 0xFF)
                p += 4
            case .array:
                entry.arrayElement = try t.u32(p, "array element type")
                entry.arrayIndex = try t.u32(p + 4, "array index type")
                entry.arrayCount = try t.u32(p + 8, "array nelems")
                p += 12
            case .structure, .union:
                try t.check(p, vlen * 12, "\(vlen) members of type \(id)")
                for i in 0..<vlen {
                    let o = try t.u32(p + 8, "member offset")
                    entry.members.append(
                        Member(
                            name: try name(t.u32(p, "member name"), "member \(i) of type \(id)"), type: try t.u32(p + 4, "member type"),
                            bitOffset: entry.kindFlag ? o & 0xFF_FFFF : o, bitfieldSize: entry.kindFlag ? o >> 24 : 0))
                    p += 12
                }
            case .enumeration:
                try t.check(p, vlen * 8, "\(vlen) enumerators of type \(id)")
                for _ in 0..<vlen {
                    let raw = try t.u32(p + 4, "enum value")
                    let value = entry.kindFlag ? Int64(Int32(bitPattern: raw)) : Int64(raw)
                    entry.enumValues.append(EnumValue(name: try name(t.u32(p, "enumerator name"), "enumerator of type \(id)"), value: value))
                    p += 8
                }
            case .enum64:
                try t.check(p, vlen * 12, "\(vlen) enumerators of type \(id)")
                for _ in 0..<vlen {
                    let bits = UInt64(try t.u32(p + 4, "enum64 lo")) | UInt64(try t.u32(p + 8, "enum64 hi")) << 32
                    entry.enumValues.append(
                        EnumValue(name: try name(t.u32(p, "enumerator name"), "enumerator of type \(id)"), value: Int64(bitPattern: bits)))
                    p += 12
                }
            case .functionProto:
                try t.check(p, vlen * 8, "\(vlen) parameters of type \(id)")
                for _ in 0..<vlen {
                    entry.parameters.append(Parameter(name: try name(t.u32(p, "parameter name"), "parameter of type \(id)"), type: try t.u32(p + 4, "parameter type")))
                    p += 8
                }
            case .function:
                entry.linkage = UInt32(vlen)
            case .variable:
                entry.linkage = try t.u32(p, "VAR linkage")
                p += 4
            case .dataSection:
                try t.check(p, vlen * 12, "\(vlen) variables of type \(id)")
                for _ in 0..<vlen {
                    entry.variables.append(
                        SectionVariable(type: try t.u32(p, "datasec var type"), offset: try t.u32(p + 4, "datasec var offset"), size: try t.u32(p + 8, "datasec var size")))
                    p += 12
                }
            case .declTag:
                entry.componentIndex = Int32(bitPattern: try t.u32(p, "DECL_TAG component_idx"))
                p += 4
            case .void, .pointer, .forward, .typedef, .volatile, .const, .restrict, .float, .typeTag:
                break
            }
            types.append(entry)
        }
        // Every reference must name an existing type.
        let count = UInt32(types.count)
        for (id, entry) in types.enumerated() {
            var refs: [UInt32] = []
            switch entry.kind {
            case .pointer, .typedef, .volatile, .const, .restrict, .function, .functionProto, .variable, .declTag, .typeTag: refs = [entry.sizeOrType]
            case .array: refs = [entry.arrayElement, entry.arrayIndex]
            case .structure, .union: refs = entry.members.map(\.type)
            case .dataSection: refs = entry.variables.map(\.type)
            default: break
            }
            refs += entry.parameters.map(\.type)
            if let bad = refs.first(where: { $0 >= count }) {
                throw BPFObjectError(.badBTF, "type \(id) (\(entry.kind) \(entry.name)) refers to type \(bad) of \(count)", section: context)
            }
        }
        // Modifiers, typedefs and arrays must end in another kind: a loop of them (which the
        // kernel refuses as "Loop detected") sent libbpf's type resolution round forever.
        var state = [UInt8](repeating: 0, count: types.count)  // 0 unseen, 1 on the walk, 2 ends
        for start in types.indices where state[start] == 0 {
            var walk: [Int] = []
            var id = start
            while state[id] == 0 {
                let entry = types[id]
                let next: UInt32
                switch entry.kind {
                case .typedef, .volatile, .const, .restrict, .typeTag: next = entry.sizeOrType
                case .array: next = entry.arrayElement
                default: next = 0
                }
                state[id] = 1
                walk.append(id)
                guard next != 0 else { break }
                id = Int(next)
                if state[id] == 1 {
                    let looped = "type \(id) (\(types[id].kind) \(types[id].name))"
                    throw BPFObjectError(
                        .badBTF, "\(looped) is part of a loop of modifiers, typedefs or arrays", section: context)
                }
            }
            for visited in walk { state[visited] = 2 }
        }
    }

    /// The `.BTF` encoding of these types (string table deduplicated).
    public func encoded() -> [UInt8] {
        var strings: [UInt8] = [0]
        var offsets: [String: UInt32] = ["": 0]
        func str(_ s: String) -> UInt32 {
            if let o = offsets[s] { return o }
            let o = UInt32(strings.count)
            strings += Array(s.utf8) + [0]
            offsets[s] = o
            return o
        }
        var out: [UInt8] = []
        func u32(_ v: UInt32) { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
        for entry in types.dropFirst() {
            var vlen = 0
            switch entry.kind {
            case .structure, .union: vlen = entry.members.count
            case .enumeration, .enum64: vlen = entry.enumValues.count
            case .functionProto: vlen = entry.parameters.count
            case .dataSection: vlen = entry.variables.count
            case .function: vlen = Int(entry.linkage)
            default: break
            }
            u32(str(entry.name))
            u32((entry.kindFlag ? 1 << 31 : 0) | UInt32(entry.kind.rawValue) << 24 | UInt32(vlen & 0xFFFF))
            u32(entry.sizeOrType)
            switch entry.kind {
            case .int: u32(UInt32(entry.intEncoding) << 24 | UInt32(entry.intOffset) << 16 | UInt32(entry.intBits))
            case .array:
                u32(entry.arrayElement)
                u32(entry.arrayIndex)
                u32(entry.arrayCount)
            case .structure, .union:
                for m in entry.members {
                    u32(str(m.name))
                    u32(m.type)
                    u32(entry.kindFlag ? m.bitfieldSize << 24 | m.bitOffset : m.bitOffset)
                }
            case .enumeration:
                for v in entry.enumValues {
                    u32(str(v.name))
                    u32(UInt32(truncatingIfNeeded: v.value))
                }
            case .enum64:
                for v in entry.enumValues {
                    u32(str(v.name))
                    u32(UInt32(truncatingIfNeeded: v.value))
                    u32(UInt32(truncatingIfNeeded: v.value >> 32))
                }
            case .functionProto:
                for param in entry.parameters {
                    u32(str(param.name))
                    u32(param.type)
                }
            case .variable: u32(entry.linkage)
            case .dataSection:
                for v in entry.variables {
                    u32(v.type)
                    u32(v.offset)
                    u32(v.size)
                }
            case .declTag: u32(UInt32(bitPattern: entry.componentIndex))
            default: break
            }
        }
        var header: [UInt8] = [0x9F, 0xEB, 1, 0]
        for v in [UInt32(24), 0, UInt32(out.count), UInt32(out.count), UInt32(strings.count)] {
            for i in 0..<4 { header.append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
        }
        return header + out + strings
    }
}
