/// Bounds-checked little-endian reads over a byte array: every read past the end throws a
/// `.truncated` error naming what was being read and where.
struct ByteReader {
    let bytes: [UInt8]
    /// Added to offsets in errors (the position of this slice in the file).
    let base: Int
    let context: String?

    init(_ bytes: [UInt8], base: Int = 0, context: String? = nil) {
        self.bytes = bytes
        self.base = base
        self.context = context
    }

    var count: Int { bytes.count }

    func check(_ offset: Int, _ size: Int, _ what: String) throws(BPFObjectError) {
        guard offset >= 0, size >= 0, offset <= bytes.count, size <= bytes.count - offset else {
            throw BPFObjectError(
                .truncated, "\(what) needs \(size) bytes at \(offset) but only \(max(0, bytes.count - max(offset, 0))) remain",
                offset: base + max(offset, 0), section: context)
        }
    }

    func u8(_ offset: Int, _ what: String) throws(BPFObjectError) -> UInt8 {
        try check(offset, 1, what)
        return bytes[offset]
    }

    func u16(_ offset: Int, _ what: String) throws(BPFObjectError) -> UInt16 {
        try check(offset, 2, what)
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    func u32(_ offset: Int, _ what: String) throws(BPFObjectError) -> UInt32 {
        try check(offset, 4, what)
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * i) }
        return v
    }

    func u64(_ offset: Int, _ what: String) throws(BPFObjectError) -> UInt64 {
        try check(offset, 8, what)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * i) }
        return v
    }

    func slice(_ offset: Int, _ size: Int, _ what: String) throws(BPFObjectError) -> [UInt8] {
        try check(offset, size, what)
        return Array(bytes[offset..<(offset + size)])
    }

    /// A NUL-terminated string starting at `offset`.
    func cString(_ offset: Int, _ what: String) throws(BPFObjectError) -> String {
        try check(offset, 0, what)
        guard offset < bytes.count, let end = bytes[offset...].firstIndex(of: 0) else {
            throw BPFObjectError(.malformed, "\(what) at \(offset) is not NUL-terminated", offset: base + offset, section: context)
        }
        return String(decoding: bytes[offset..<end], as: UTF8.self)
    }
}

extension Int {
    /// Converts a 64-bit file field to Int, refusing values that cannot be offsets or sizes.
    init(field value: UInt64, _ what: String, at offset: Int) throws(BPFObjectError) {
        guard value <= UInt64(Int32.max) else {
            throw BPFObjectError(.malformed, "\(what) \(value) is too large", offset: offset)
        }
        self = Int(value)
    }
}
