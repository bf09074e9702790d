/// The container a capture file uses, read from its first bytes.
public struct CaptureFormat: Hashable, Sendable, CustomStringConvertible {
    public enum Container: String, Sendable {
        case pcap
        case pcapng
    }

    /// The resolution of the timestamps as stored in the file.
    public enum Precision: String, Sendable {
        case microseconds = "us"
        case nanoseconds = "ns"
        /// pcapng stores a resolution per interface.
        case perInterface = "per-interface"
    }

    public var container: Container
    public var precision: Precision
    /// Whether the file was written on a big-endian host.
    public var bigEndian: Bool

    public init(container: Container, precision: Precision, bigEndian: Bool) {
        self.container = container
        self.precision = precision
        self.bigEndian = bigEndian
    }

    /// The first four bytes of every format recognised.
    static let magicPrefixes: [[UInt8]] = [
        [0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0xC3, 0xD4], [0x4D, 0x3C, 0xB2, 0xA1], [0xA1, 0xB2, 0x3C, 0x4D],
        [0x0A, 0x0D, 0x0D, 0x0A],
    ]

    /// Recognises the magic number at the start of a file; nil when it is not a capture.
    public init?(magic bytes: some Collection<UInt8>) {
        guard bytes.count >= 4 else { return nil }
        let b = Array(bytes.prefix(4))
        switch (b[0], b[1], b[2], b[3]) {
        case (0xD4, 0xC3, 0xB2, 0xA1): self.init(container: .pcap, precision: .microseconds, bigEndian: false)
        case (0xA1, 0xB2, 0xC3, 0xD4): self.init(container: .pcap, precision: .microseconds, bigEndian: true)
        case (0x4D, 0x3C, 0xB2, 0xA1): self.init(container: .pcap, precision: .nanoseconds, bigEndian: false)
        case (0xA1, 0xB2, 0x3C, 0x4D): self.init(container: .pcap, precision: .nanoseconds, bigEndian: true)
        case (0x0A, 0x0D, 0x0D, 0x0A):
            // The byte order is in the section header's byte-order magic, at offset 8.
            let order = Array(bytes.dropFirst(8).prefix(4))
            self.init(container: .pcapng, precision: .perInterface, bigEndian: order == [0x1A, 0x2B, 0x3C, 0x4D])
        default: return nil
        }
    }

    public var description: String {
        switch (container, precision) {
        case (.pcap, .microseconds): "pcap (microsecond timestamps)"
        case (.pcap, _): "pcap (nanosecond timestamps)"
        case (.pcapng, _): "pcapng"
        }
    }
}
