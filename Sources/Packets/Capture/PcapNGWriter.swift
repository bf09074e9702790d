#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a pcapng capture (one section, one interface, enhanced packet blocks).
///
/// libpcap 1.10 reads pcapng but cannot write it; this small writer exists so that ctsim can make
/// pcapng files of its own for tests and samples. Files are little-endian.
public final class PcapNGWriter {
    public let path: String
    public let linkType: LinkType
    public let precision: CaptureFormat.Precision
    private var buffer: [UInt8] = []
    private var closed = false

    /// - Parameters:
    ///   - linkType: the DLT value; stored as its LINKTYPE value (DLT_RAW 12 becomes 101).
    ///   - precision: `.microseconds` (the default resolution) or `.nanoseconds` (if_tsresol 9).
    public init(path: String, linkType: LinkType, snapshotLength: Int = 262_144, precision: CaptureFormat.Precision = .microseconds) {
        self.path = path
        self.linkType = linkType
        self.precision = precision
        // Section header block.
        var shb: [UInt8] = []
        shb.append(le32: 0x1A2B_3C4D)
        shb.append(le16: 1)
        shb.append(le16: 0)
        shb.append(le64: UInt64.max)  // section length unknown
        appendBlock(type: 0x0A0D_0D0A, body: shb)
        // Interface description block.
        var idb: [UInt8] = []
        idb.append(le16: UInt16(linkType == .raw ? 101 : linkType.rawValue))
        idb.append(le16: 0)
        idb.append(le32: UInt32(snapshotLength))
        if precision == .nanoseconds {
            idb.append(le16: 9)  // if_tsresol
            idb.append(le16: 1)
            idb += [9, 0, 0, 0]
            idb += [0, 0, 0, 0]  // opt_endofopt
        }
        appendBlock(type: 1, body: idb)
    }

    private func appendBlock(type: UInt32, body: [UInt8]) {
        var padded = body
        while padded.count % 4 != 0 { padded.append(0) }
        let total = UInt32(12 + padded.count)
        buffer.append(le32: type)
        buffer.append(le32: total)
        buffer += padded
        buffer.append(le32: total)
    }

    /// Appends one packet as an enhanced packet block on interface 0.
    public func write(_ bytes: [UInt8], timestamp: Timestamp, originalLength: Int? = nil) {
        let units = UInt64(bitPattern: precision == .nanoseconds ? timestamp.nanoseconds : timestamp.nanoseconds / 1000)
        var epb: [UInt8] = []
        epb.append(le32: 0)
        epb.append(le32: UInt32(units >> 32))
        epb.append(le32: UInt32(units & 0xFFFF_FFFF))
        epb.append(le32: UInt32(bytes.count))
        epb.append(le32: UInt32(originalLength ?? bytes.count))
        epb += bytes
        appendBlock(type: 6, body: epb)
    }

    /// Writes the file.
    public func close() throws(CaptureError) {
        guard !closed else { return }
        closed = true
        guard let file = fopen(path, "wb") else {
            throw CaptureError(.writeFailed, path: path, message: "cannot create: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == buffer.count, fflush(file) == 0 else {
            throw CaptureError(.writeFailed, path: path, message: "short write")
        }
    }
}

extension [UInt8] {
    mutating func append(le16 value: UInt16) {
        append(UInt8(value & 0xFF))
        append(UInt8(value >> 8))
    }

    mutating func append(le32 value: UInt32) {
        append(le16: UInt16(value & 0xFFFF))
        append(le16: UInt16(value >> 16))
    }

    mutating func append(le64 value: UInt64) {
        append(le32: UInt32(value & 0xFFFF_FFFF))
        append(le32: UInt32(value >> 32))
    }
}
