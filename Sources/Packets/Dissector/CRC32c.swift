/// CRC32c (Castagnoli, reflected polynomial 0x82F63B78), the checksum of SCTP (RFC 9260
/// appendix A) that conntrack verifies with `nf_conntrack_checksum=1`.
public enum CRC32c {
    /// Slicing-by-8 tables, built once.
    nonisolated(unsafe) static let tables: UnsafeMutablePointer<UInt32> = {
        let t = UnsafeMutablePointer<UInt32>.allocate(capacity: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { t[k * 256 + i] = (t[(k - 1) * 256 + i] >> 8) ^ t[Int(t[(k - 1) * 256 + i] & 0xFF)] }
        }
        return t
    }()

    /// Continues a CRC over `count` bytes at `p` (`crc` is the running value before the final
    /// inversion; start with `0xFFFF_FFFF`).
    @inlinable
    public static func update(_ crc: UInt32, _ p: UnsafeRawPointer, count: Int) -> UInt32 {
        updateBytes(crc, p, count: count)
    }

    @usableFromInline
    static func updateBytes(_ crc: UInt32, _ p: UnsafeRawPointer, count: Int) -> UInt32 {
        let t = tables
        var c = crc
        var i = 0
        while i + 8 <= count {
            let lo = c ^ UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt32.self))
            let hi = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
            c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
            i += 8
        }
        while i < count {
            c = t[Int((c ^ UInt32(p.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (c >> 8)
            i += 1
        }
        return c
    }

    /// The CRC32c of `count` bytes at `p`.
    public static func checksum(_ p: UnsafeRawPointer, count: Int) -> UInt32 {
        ~update(0xFFFF_FFFF, p, count: count)
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { buffer in buffer.baseAddress.map { checksum($0, count: buffer.count) } ?? 0 }
    }

    /// The SCTP packet checksum: the CRC32c of the packet with the checksum field (bytes 8..<12)
    /// taken as zero, as the 32-bit value stored little-endian in that field (`sctp_compute_cksum`
    /// then `cpu_to_le32`): compare with the field read as a little-endian `UInt32`.
    public static func sctp(_ p: UnsafeRawPointer, count: Int) -> UInt32 {
        guard count >= 12 else { return 0 }
        var zero: UInt32 = 0
        var c = update(0xFFFF_FFFF, p, count: 8)
        c = withUnsafeBytes(of: &zero) { update(c, $0.baseAddress!, count: 4) }
        c = update(c, p + 12, count: count - 12)
        return ~c
    }

    /// Sets the checksum of the SCTP packet in `bytes` (common header at `offset`, packet to the
    /// end).
    public static func fillSCTP(_ bytes: inout [UInt8], offset: Int = 0) {
        let value = bytes.withUnsafeBytes { sctp($0.baseAddress! + offset, count: $0.count - offset) }
        for k in 0..<4 { bytes[offset + 8 + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
    }
}
