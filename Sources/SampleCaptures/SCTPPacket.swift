import Packets

/// One SCTP chunk (RFC 9260 section 3.2): type, flags and value; the length and padding are
/// filled in by `SCTPPacket`.
public struct SCTPChunk: Hashable, Sendable {
    public var type: UInt8
    public var flags: UInt8 = 0
    public var value: [UInt8] = []

    public init(type: UInt8, flags: UInt8 = 0, value: [UInt8] = []) {
        self.type = type
        self.flags = flags
        self.value = value
    }

    public static func initiation(ack: Bool, tag: UInt32, tsn: UInt32, extra: [UInt8] = []) -> SCTPChunk {
        var v: [UInt8] = []
        v.put32(tag)
        v.put32(106_496)  // a_rwnd
        v.put16(10)  // outbound streams
        v.put16(65_535)  // inbound streams
        v.put32(tsn)
        return SCTPChunk(type: ack ? 2 : 1, value: v + extra)
    }

    public static func data(tsn: UInt32, payload: [UInt8]) -> SCTPChunk {
        var v: [UInt8] = []
        v.put32(tsn)
        v.put16(0)  // stream
        v.put16(0)  // stream sequence
        v.put32(0)  // payload protocol
        return SCTPChunk(type: 0, flags: 0x03, value: v + payload)
    }

    public static func sack(cumulative: UInt32) -> SCTPChunk {
        var v: [UInt8] = []
        v.put32(cumulative)
        v.put32(106_496)
        v.put16(0)
        v.put16(0)
        return SCTPChunk(type: 3, value: v)
    }

    public static func heartbeat(ack: Bool, info: UInt32) -> SCTPChunk {
        var v: [UInt8] = []
        v.put16(1)  // Heartbeat Info parameter
        v.put16(8)
        v.put32(info)
        return SCTPChunk(type: ack ? 5 : 4, value: v)
    }

    public static func cookieEcho(_ cookie: [UInt8]) -> SCTPChunk { SCTPChunk(type: 10, value: cookie) }
    public static let cookieAck = SCTPChunk(type: 11)

    public static func shutdown(cumulative: UInt32) -> SCTPChunk {
        var v: [UInt8] = []
        v.put32(cumulative)
        return SCTPChunk(type: 7, value: v)
    }

    public static let shutdownAck = SCTPChunk(type: 8)
    public static func shutdownComplete(reflected: Bool = false) -> SCTPChunk { SCTPChunk(type: 14, flags: reflected ? 1 : 0) }
    public static func abort(reflected: Bool = false) -> SCTPChunk { SCTPChunk(type: 6, flags: reflected ? 1 : 0) }

    /// The chunk on the wire, padded to 4 bytes.
    public var bytes: [UInt8] {
        var b: [UInt8] = [type, flags]
        b.put16(UInt16(4 + value.count))
        b += value
        while b.count % 4 != 0 { b.append(0) }
        return b
    }
}

/// An SCTP packet: common header (ports, verification tag, CRC32c) and chunks.
public struct SCTPPacket: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var tag: UInt32
    public var chunks: [SCTPChunk]
    /// Store a wrong CRC32c (the kernel's conntrack drops such a packet as INVALID).
    public var corruptChecksum = false

    public init(sourcePort: UInt16, destinationPort: UInt16, tag: UInt32, chunks: [SCTPChunk], corruptChecksum: Bool = false) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.tag = tag
        self.chunks = chunks
        self.corruptChecksum = corruptChecksum
    }

    public var bytes: [UInt8] {
        var b: [UInt8] = []
        b.put16(sourcePort)
        b.put16(destinationPort)
        b.put32(tag)
        b.put32(0)
        for chunk in chunks { b += chunk.bytes }
        CRC32c.fillSCTP(&b)
        if corruptChecksum { b[8] ^= 0xA5 }
        return b
    }

    public func ip(from source: IPAddress, to destination: IPAddress) -> IPPacketBuilder {
        IPPacketBuilder(source: source, destination: destination, transport: .raw(protocolNumber: 132, bytes: bytes))
    }
}

extension [UInt8] {
    /// Appends a big-endian 16-bit value.
    mutating func put16(_ value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(value & 0xFF))
    }

    /// Appends a big-endian 32-bit value.
    mutating func put32(_ value: UInt32) {
        put16(UInt16(value >> 16))
        put16(UInt16(value & 0xFFFF))
    }
}
