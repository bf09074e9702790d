/// `.BTF.ext`: per-section func_info, line_info and CO-RE relocation records. Instruction offsets
/// are in instructions (converted from the file's byte offsets), relative to the section start.
public struct BTFExt: Sendable, Hashable {
    public struct FuncInfo: Sendable, Hashable {
        public var instruction: Int
        public var typeID: UInt32
    }

    public struct LineInfo: Sendable, Hashable {
        public var instruction: Int
        public var fileName: String
        public var line: String
        public var lineNumber: Int
        public var column: Int

        public init(instruction: Int, fileName: String, line: String, lineNumber: Int, column: Int) {
            self.instruction = instruction
            self.fileName = fileName
            self.line = line
            self.lineNumber = lineNumber
            self.column = column
        }
    }

    /// The kind of a CO-RE relocation (`enum bpf_core_relo_kind`).
    public enum CORERelocationKind: UInt32, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case fieldByteOffset = 0, fieldByteSize, fieldExists, fieldSigned, fieldLShiftU64, fieldRShiftU64
        case typeIDLocal, typeIDTarget, typeExists, typeSize, enumValueExists, enumValue, typeMatches

        public var description: String {
            ["byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64", "local_type_id", "target_type_id",
                "type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches"][Int(rawValue)]
        }

        public var isFieldBased: Bool { rawValue <= 5 }
        public var isTypeBased: Bool { (6...9).contains(rawValue) || self == .typeMatches }
        public var isEnumValueBased: Bool { self == .enumValueExists || self == .enumValue }
    }

    public struct CORERelocation: Sendable, Hashable {
        public var instruction: Int
        /// The root type in the object's own BTF.
        public var typeID: UInt32
        /// The access string: `0:1:2` (array index, then member/element indices).
        public var accessString: String
        public var kind: CORERelocationKind
    }

    public var funcInfo: [String: [FuncInfo]] = [:]
    public var lineInfo: [String: [LineInfo]] = [:]
    public var coreRelocations: [String: [CORERelocation]] = [:]

    public init() {}

    /// Parses `.BTF.ext` against the object's `.BTF` string table.
    public init(bytes: [UInt8], btfStrings: (UInt32) throws(BPFObjectError) -> String, base: Int = 0) throws(BPFObjectError) {
        let r = ByteReader(bytes, base: base, context: ".BTF.ext")
        let magic = try r.u16(0, "BTF.ext magic")
        guard magic == BTF.magic else { throw BPFObjectError(.badBTF, "bad BTF.ext magic 0x\(String(magic, radix: 16))", offset: base, section: ".BTF.ext") }
        let headerLength = Int(try r.u32(4, "BTF.ext hdr_len"))
        guard headerLength >= 24 else { throw BPFObjectError(.badBTF, "BTF.ext header length \(headerLength) < 24", offset: base + 4, section: ".BTF.ext") }
        try r.check(0, headerLength, "BTF.ext header")

        func records(_ headerField: Int, minimumSize: Int, _ what: String, _ body: (String, Int, Int) throws(BPFObjectError) -> Void) throws(BPFObjectError) {
            let offset = headerLength + Int(try r.u32(headerField, "\(what) offset"))
            let length = Int(try r.u32(headerField + 4, "\(what) length"))
            if length == 0 { return }
            try r.check(offset, length, what)
            let recordSize = Int(try r.u32(offset, "\(what) record size"))
            guard recordSize >= minimumSize, recordSize % 4 == 0 else {
                throw BPFObjectError(.badBTF, "\(what) record size \(recordSize)", offset: base + offset, section: ".BTF.ext")
            }
            var p = offset + 4
            let end = offset + length
            while p < end {
                let section = try btfStrings(try r.u32(p, "\(what) section name"))
                let n = Int(try r.u32(p + 4, "\(what) record count"))
                p += 8
                guard n <= (end - p) / recordSize else {
                    throw BPFObjectError(.truncated, "\(n) \(what) records of \(recordSize) bytes run past the end", offset: base + p - 4, section: ".BTF.ext")
                }
                for _ in 0..<n {
                    try body(section, p, recordSize)
                    p += recordSize
                }
            }
        }
        func instruction(_ p: Int) throws(BPFObjectError) -> Int {
            let off = Int(try r.u32(p, "insn_off"))
            guard off % 8 == 0 else { throw BPFObjectError(.badBTF, "insn_off \(off) is not a multiple of 8", offset: base + p, section: ".BTF.ext") }
            return off / 8
        }
        try records(8, minimumSize: 8, "func_info") { (section, p, _) throws(BPFObjectError) in
            funcInfo[section, default: []].append(FuncInfo(instruction: try instruction(p), typeID: try r.u32(p + 4, "func_info type_id")))
        }
        try records(16, minimumSize: 16, "line_info") { (section, p, _) throws(BPFObjectError) in
            let lineCol = try r.u32(p + 12, "line_col")
            lineInfo[section, default: []].append(
                LineInfo(
                    instruction: try instruction(p), fileName: try btfStrings(r.u32(p + 4, "file_name_off")),
                    line: try btfStrings(r.u32(p + 8, "line_off")), lineNumber: Int(lineCol >> 10), column: Int(lineCol & 0x3FF)))
        }
        if headerLength >= 32 {
            try records(24, minimumSize: 16, "core_relo") { (section, p, _) throws(BPFObjectError) in
                let rawKind = try r.u32(p + 12, "core_relo kind")
                guard let kind = CORERelocationKind(rawValue: rawKind) else {
                    throw BPFObjectError(.badBTF, "unknown CO-RE relocation kind \(rawKind)", offset: base + p + 12, section: ".BTF.ext")
                }
                coreRelocations[section, default: []].append(
                    CORERelocation(
                        instruction: try instruction(p), typeID: try r.u32(p + 4, "core_relo type_id"),
                        accessString: try btfStrings(r.u32(p + 8, "access_str_off")), kind: kind))
            }
        }
    }
}
