/// A TCP segment to build.
public struct TCPSegment: Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequence: UInt32
    public var acknowledgement: UInt32
    public var flags: TCPFlags
    public var window: UInt16
    public var options: TCPOptions
    public var urgentPointer: UInt16
    public var payload: [UInt8]

    public init(
        sourcePort: UInt16, destinationPort: UInt16, sequence: UInt32 = 0, acknowledgement: UInt32 = 0,
        flags: TCPFlags, window: UInt16 = 64_240, options: TCPOptions = TCPOptions(), urgentPointer: UInt16 = 0,
        payload: [UInt8] = []
    ) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequence = sequence
        self.acknowledgement = acknowledgement
        self.flags = flags
        self.window = window
        self.options = options
        self.urgentPointer = urgentPointer
        self.payload = payload
    }
}

/// The transport layer of a packet to build.
public enum TransportSpec: Sendable {
    case tcp(TCPSegment)
    case udp(sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8])
    /// ICMP over IPv4, ICMPv6 over IPv6. `rest` is the 4 bytes after the checksum.
    case icmp(type: UInt8, code: UInt8, rest: UInt32, payload: [UInt8])
    /// Any other protocol, its bytes as given.
    case raw(protocolNumber: UInt8, bytes: [UInt8])

    public static func echoRequest(v6: Bool, identifier: UInt16, sequence: UInt16, payload: [UInt8] = []) -> TransportSpec {
        .icmp(type: v6 ? 128 : 8, code: 0, rest: UInt32(identifier) << 16 | UInt32(sequence), payload: payload)
    }

    public static func echoReply(v6: Bool, identifier: UInt16, sequence: UInt16, payload: [UInt8] = []) -> TransportSpec {
        .icmp(type: v6 ? 129 : 0, code: 0, rest: UInt32(identifier) << 16 | UInt32(sequence), payload: payload)
    }

    /// The length in bytes of the transport header and payload.
    var length: Int {
        switch self {
        case .tcp(let s): 20 + s.options.encoded().count + s.payload.count
        case .udp(_, _, let p): 8 + p.count
        case .icmp(_, _, _, let p): 8 + p.count
        case .raw(_, let b): b.count
        }
    }

    var protocolNumber: (v4: UInt8, v6: UInt8) {
        switch self {
        case .tcp: (6, 6)
        case .udp: (17, 17)
        case .icmp: (1, 58)
        case .raw(let p, _): (p, p)
        }
    }
}

/// Builds IP packets and link-layer frames with correct lengths and checksums, for tests and for
/// generating captures. The dissector reads back every field it writes.
public struct IPPacketBuilder: Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    public var transport: TransportSpec
    public var ttl: UInt8 = 64
    public var tos: UInt8 = 0
    /// IPv4 identification.
    public var identification: UInt16 = 0
    public var dontFragment = true
    /// Raw IPv4 option bytes (padded to a multiple of 4 with EOL).
    public var ipv4Options: [UInt8] = []
    public var flowLabel: UInt32 = 0
    /// Set to false to write a deliberately wrong transport checksum.
    public var validChecksum = true

    public init(source: IPAddress, destination: IPAddress, transport: TransportSpec) {
        self.source = source
        self.destination = destination
        self.transport = transport
    }

    /// The IP packet: header, transport header and payload.
    public func build() -> [UInt8] {
        switch (source, destination) {
        case (.v4(let s), .v4(let d)): buildIPv4(source: s, destination: d)
        case (.v6(let s), .v6(let d)): buildIPv6(source: s, destination: d)
        default: preconditionFailure("source and destination must be of one family")
        }
    }

    private func transportBytes(pseudo: InternetChecksum, v6: Bool) -> [UInt8] {
        var bytes: [UInt8]
        let checksumOffset: Int
        var sum = pseudo
        switch transport {
        case .tcp(let segment):
            let options = segment.options.encoded()
            let headerLength = 20 + options.count
            bytes = []
            bytes.reserveCapacity(headerLength + segment.payload.count)
            bytes.append(be16: segment.sourcePort)
            bytes.append(be16: segment.destinationPort)
            bytes.append(be32: segment.sequence)
            bytes.append(be32: segment.acknowledgement)
            bytes.append(be16: UInt16(headerLength / 4) << 12 | segment.flags.rawValue & 0x01FF)
            bytes.append(be16: segment.window)
            bytes.append(be16: 0)
            bytes.append(be16: segment.urgentPointer)
            bytes += options
            bytes += segment.payload
            checksumOffset = 16
        case .udp(let sourcePort, let destinationPort, let payload):
            bytes = []
            bytes.append(be16: sourcePort)
            bytes.append(be16: destinationPort)
            bytes.append(be16: UInt16(8 + payload.count))
            bytes.append(be16: 0)
            bytes += payload
            checksumOffset = 6
        case .icmp(let type, let code, let rest, let payload):
            bytes = [type, code, 0, 0]
            bytes.append(be32: rest)
            bytes += payload
            checksumOffset = 2
            if !v6 { sum = InternetChecksum() }  // ICMPv4 has no pseudo header
        case .raw(_, let raw):
            return raw
        }
        sum.add(bytes)
        var checksum = sum.value
        if case .udp = transport, checksum == 0 { checksum = 0xFFFF }
        if !validChecksum { checksum ^= 0x5A5A }
        bytes[checksumOffset] = UInt8(checksum >> 8)
        bytes[checksumOffset + 1] = UInt8(checksum & 0xFF)
        return bytes
    }

    private func buildIPv4(source: IPv4Address, destination: IPv4Address) -> [UInt8] {
        var options = ipv4Options
        while options.count % 4 != 0 { options.append(0) }
        let protocolNumber = transport.protocolNumber.v4
        var pseudo = InternetChecksum()
        pseudo.addPseudoHeader(source: source, destination: destination, protocolNumber: protocolNumber, length: transport.length)
        let l4 = transportBytes(pseudo: pseudo, v6: false)
        let headerLength = 20 + options.count
        var packet: [UInt8] = []
        packet.reserveCapacity(headerLength + l4.count)
        packet.append(0x40 | UInt8(headerLength / 4))
        packet.append(tos)
        packet.append(be16: UInt16(headerLength + l4.count))
        packet.append(be16: identification)
        packet.append(be16: dontFragment ? 0x4000 : 0)
        packet.append(ttl)
        packet.append(protocolNumber)
        packet.append(be16: 0)
        packet += source.bytes
        packet += destination.bytes
        packet += options
        Self.setIPv4Checksum(&packet)
        packet += l4
        return packet
    }

    private func buildIPv6(source: IPv6Address, destination: IPv6Address) -> [UInt8] {
        let protocolNumber = transport.protocolNumber.v6
        var pseudo = InternetChecksum()
        pseudo.addPseudoHeader(source: source, destination: destination, protocolNumber: protocolNumber, length: transport.length)
        let l4 = transportBytes(pseudo: pseudo, v6: true)
        var packet: [UInt8] = []
        packet.reserveCapacity(40 + l4.count)
        packet.append(be32: 6 << 28 | UInt32(tos) << 20 | flowLabel & 0xFFFFF)
        packet.append(be16: UInt16(l4.count))
        packet.append(protocolNumber)
        packet.append(ttl)
        packet += source.bytes
        packet += destination.bytes
        packet += l4
        return packet
    }

    /// Recomputes the header checksum of the IPv4 packet in `packet`.
    public static func setIPv4Checksum(_ packet: inout [UInt8]) {
        let headerLength = Int(packet[0] & 0x0F) * 4
        packet[10] = 0
        packet[11] = 0
        var sum = InternetChecksum()
        packet.withUnsafeBytes { sum.add(UnsafeRawBufferPointer(rebasing: $0[0..<headerLength])) }
        let value = sum.value
        packet[10] = UInt8(value >> 8)
        packet[11] = UInt8(value & 0xFF)
    }
}

extension TCPOptions {
    /// The options in the order Linux sends them (MSS, SACK-permitted and timestamps, window
    /// scale), padded with NOPs to a multiple of 4 bytes.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        if let mss = maximumSegmentSize { bytes += [2, 4, UInt8(mss >> 8), UInt8(mss & 0xFF)] }
        if let timestamp {
            bytes += sackPermitted ? [4, 2] : [1, 1]
            bytes += [8, 10]
            bytes.append(be32: timestamp.value)
            bytes.append(be32: timestamp.echoReply)
        } else if sackPermitted {
            bytes += [1, 1, 4, 2]
        }
        if !sackBlocks.isEmpty {
            bytes += [1, 1, 5, UInt8(2 + 8 * sackBlocks.count)]
            for block in sackBlocks {
                bytes.append(be32: block.left)
                bytes.append(be32: block.right)
            }
        }
        if let windowScale { bytes += [1, 3, 3, windowScale] }
        while bytes.count % 4 != 0 { bytes.append(1) }
        return bytes
    }
}

extension [UInt8] {
    mutating func append(be16 value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(value & 0xFF))
    }

    mutating func append(be32 value: UInt32) {
        append(be16: UInt16(value >> 16))
        append(be16: UInt16(value & 0xFFFF))
    }
}
