internal import CPcap

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads pcap and pcapng captures through libpcap (`pcap_open_offline_with_tstamp_precision`).
///
/// Timestamps come back in nanoseconds whatever the file stores. Errors name the file, the packet
/// number and the byte offset of the record that failed.
public final class CaptureReader {
    public let path: String
    public let format: CaptureFormat
    /// The link type of the capture (for pcapng, of its first interface).
    public let linkType: LinkType
    /// The snapshot length recorded in the file.
    public let snapshotLength: Int
    /// The size of the file in bytes.
    public let fileSize: Int

    private let handle: OpaquePointer
    private var packetsRead = 0
    private var finished = false

    /// Opens the capture at `path`.
    ///
    /// - Throws: `CaptureError` with kind `.unreadable`, `.unknownFormat` or `.truncated`.
    public init(path: String) throws(CaptureError) {
        self.path = path
        let (magic, size) = try Self.readMagic(path: path)
        fileSize = size
        guard let format = CaptureFormat(magic: magic) else {
            if magic.isEmpty {
                throw CaptureError(.truncated, path: path, offset: 0, message: "empty file, not a capture")
            }
            if magic.count < 4, CaptureFormat.magicPrefixes.contains(where: { $0.starts(with: magic) }) {
                throw CaptureError(
                    .truncated, path: path, offset: 0, message: "file ends after \(magic.count) bytes, inside the file header")
            }
            throw CaptureError(
                .unknownFormat, path: path, offset: 0,
                message: "not a pcap or pcapng capture (unknown magic number \(magic.prefix(4).hexString))")
        }
        self.format = format
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        // libpcap reads through a stdio stream; with the default buffer (one page) a large
        // capture costs a read(2) per few packets, so the stream gets a larger one first (small
        // enough to stay in the L2 cache with the rest of a replay).
        guard let file = fopen(path, "rb") else {
            throw CaptureError(.unreadable, path: path, offset: 0, message: String(cString: strerror(errno)))
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.streamBuffer, alignment: 16)
        setvbuf(file, buffer.assumingMemoryBound(to: CChar.self), _IOFBF, Self.streamBuffer)
        guard let handle = pcap_fopen_offline_with_tstamp_precision(file, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf)
        else {
            fclose(file)
            buffer.deallocate()
            let message = String(decoding: errbuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let kind: CaptureError.Kind = message.contains("truncated") ? .truncated : .malformed
            throw CaptureError(kind, path: path, offset: 0, message: Self.clean(message))
        }
        self.handle = handle
        self.buffer = buffer
        linkType = LinkType(rawValue: pcap_datalink(handle))
        snapshotLength = Int(pcap_snapshot(handle))
    }

    deinit {
        pcap_close(handle)  // closes the stream
        buffer.deallocate()
    }

    /// The stream buffer's size.
    static let streamBuffer = 64 << 10
    private let buffer: UnsafeMutableRawPointer

    /// The number of packets read so far.
    public var count: Int { packetsRead }

    /// For pcap files, the byte offset of the next record, kept by arithmetic (24-byte file header,
    /// then a 16-byte record header and the captured bytes per packet) so that no system call is
    /// made per packet.
    private var pcapOffset = 24

    /// The byte offset of the next record in the file. pcapng blocks vary in size, so there the
    /// C library is asked (one `ftell`, which costs an `lseek`).
    private var currentOffset: Int? {
        if format.container == .pcap { return pcapOffset }
        guard let file = pcap_file(handle) else { return nil }
        let position = ftell(file)
        return position >= 0 ? position : nil
    }

    /// Reads the next packet, or returns nil at the end of the capture.
    public func next() throws(CaptureError) -> CapturedPacket? {
        var result: CapturedPacket?
        try withNextPacket { number, timestamp, originalLength, bytes in
            result = CapturedPacket(
                number: number, timestamp: timestamp, originalLength: originalLength, data: Array(bytes))
        }
        return result
    }

    /// Reads the next packet and hands its bytes to `body` without copying them.
    ///
    /// The buffer is valid only during the call.
    /// - Returns: false at the end of the capture.
    @discardableResult
    public func withNextPacket(
        _ body: (_ number: Int, _ timestamp: Timestamp, _ originalLength: Int, _ bytes: UnsafeRawBufferPointer) -> Void
    ) throws(CaptureError) -> Bool {
        if finished { return false }
        let offset = currentOffset
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let rc = pcap_next_ex(handle, &header, &data)
        switch rc {
        case 1:
            packetsRead += 1
            let h = header!.pointee
            pcapOffset += 16 + Int(h.caplen)
            let timestamp = Timestamp(seconds: Int64(h.ts.tv_sec), nanoseconds: Int64(h.ts.tv_usec))
            body(
                packetsRead, timestamp, Int(h.len),
                UnsafeRawBufferPointer(start: data, count: Int(h.caplen)))
            return true
        case PCAP_ERROR_BREAK:
            finished = true
            return false
        default:
            finished = true
            let message = Self.clean(String(cString: pcap_geterr(handle)))
            let kind: CaptureError.Kind = message.contains("truncated") ? .truncated : .malformed
            throw CaptureError(kind, path: path, packet: packetsRead + 1, offset: offset, message: message)
        }
    }

    private static func clean(_ message: String) -> String {
        // libpcap sometimes ends messages with a newline or a period; keep one line.
        var text = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        while text.hasSuffix(".") || text.hasSuffix(" ") { text.removeLast() }
        return text.isEmpty ? "unreadable capture" : text
    }

    private static func readMagic(path: String) throws(CaptureError) -> (bytes: [UInt8], size: Int) {
        guard let file = fopen(path, "rb") else {
            let reason = String(cString: strerror(errno))
            throw CaptureError(.unreadable, path: path, message: "cannot open: \(reason)")
        }
        defer { fclose(file) }
        var st = stat()
        if fstat(fileno(file), &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            throw CaptureError(.unreadable, path: path, message: "is a directory, not a capture")
        }
        var bytes = [UInt8](repeating: 0, count: 12)
        let n = fread(&bytes, 1, bytes.count, file)
        return (Array(bytes.prefix(n)), Int(st.st_size))
    }
}

extension Collection<UInt8> {
    /// Bytes as `0x` followed by lower-case hex digits.
    var hexString: String {
        "0x" + map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}
