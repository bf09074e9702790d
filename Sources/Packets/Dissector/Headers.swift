/// An IPv4 header option: its type byte and its length in bytes (1 for EOL and NOP).
public struct IPv4Option: Hashable, Sendable {
    public var type: UInt8
    public var length: Int
}

/// A dissected IPv4 header. Offsets are in bytes from the start of the frame.
public struct IPv4Header: Hashable, Sendable {
    public var offset: Int
    public var headerLength: Int
    public var tos: UInt8
    public var totalLength: Int
    public var identification: UInt16
    public var dontFragment: Bool
    public var moreFragments: Bool
    /// The fragment offset in bytes.
    public var fragmentOffset: Int
    public var ttl: UInt8
    public var protocolNumber: UInt8
    public var checksum: UInt16
    /// Whether the header checksum is correct.
    public var checksumValid: Bool
    public var source: IPv4Address
    public var destination: IPv4Address
    public var options: [IPv4Option]

    /// A fragment: more fragments follow or this one does not start at offset 0.
    public var isFragment: Bool { moreFragments || fragmentOffset != 0 }
}

/// One IPv6 extension header in a chain.
public struct IPv6ExtensionHeader: Hashable, Sendable {
    /// Its protocol number: 0 hop-by-hop, 43 routing, 44 fragment, 60 destination options,
    /// 51 authentication, 135 mobility, 139 HIP, 140 shim6.
    public var protocolNumber: UInt8
    public var offset: Int
    public var length: Int
}

/// An IPv6 fragment header.
public struct IPv6Fragment: Hashable, Sendable {
    /// The fragment offset in bytes.
    public var offset: Int
    public var moreFragments: Bool
    public var identification: UInt32
}

/// A dissected IPv6 header with its extension-header chain.
public struct IPv6Header: Hashable, Sendable {
    public var offset: Int
    public var trafficClass: UInt8
    public var flowLabel: UInt32
    public var payloadLength: Int
    /// The Next Header field of the fixed header.
    public var nextHeader: UInt8
    public var hopLimit: UInt8
    public var source: IPv6Address
    public var destination: IPv6Address
    public var extensionHeaders: [IPv6ExtensionHeader]
    public var fragment: IPv6Fragment?
    /// The protocol after the extension headers (59 for "no next header").
    public var upperLayerProtocol: UInt8
    /// Where the upper-layer header starts.
    public var upperLayerOffset: Int

    public var isFragment: Bool {
        guard let fragment else { return false }
        return fragment.moreFragments || fragment.offset != 0
    }
}

/// The network layer of a frame.
public enum NetworkHeader: Hashable, Sendable {
    case ipv4(IPv4Header)
    case ipv6(IPv6Header)
    case arp
    /// Another EtherType (or an 802.3 length).
    case other(etherType: UInt16)
}

/// TCP header flags.
public struct TCPFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x001)
    public static let syn = TCPFlags(rawValue: 0x002)
    public static let rst = TCPFlags(rawValue: 0x004)
    public static let psh = TCPFlags(rawValue: 0x008)
    public static let ack = TCPFlags(rawValue: 0x010)
    public static let urg = TCPFlags(rawValue: 0x020)
    public static let ece = TCPFlags(rawValue: 0x040)
    public static let cwr = TCPFlags(rawValue: 0x080)
    public static let ns = TCPFlags(rawValue: 0x100)

    private static let names: [(TCPFlags, String)] = [
        (.fin, "FIN"), (.syn, "SYN"), (.rst, "RST"), (.psh, "PSH"), (.ack, "ACK"), (.urg, "URG"),
        (.ece, "ECE"), (.cwr, "CWR"), (.ns, "NS"),
    ]

    public var description: String {
        let set = Self.names.filter { contains($0.0) }.map(\.1)
        return set.isEmpty ? "none" : set.joined(separator: "|")
    }
}

/// A TCP SACK block.
public struct SACKBlock: Hashable, Sendable {
    public var left: UInt32
    public var right: UInt32

    public init(left: UInt32, right: UInt32) {
        self.left = left
        self.right = right
    }
}

/// The TCP options ctsim understands; others are listed by kind.
public struct TCPOptions: Hashable, Sendable {
    public var maximumSegmentSize: UInt16?
    public var windowScale: UInt8?
    public var sackPermitted = false
    public var sackBlocks: [SACKBlock] = []
    public var timestamp: (value: UInt32, echoReply: UInt32)? {
        get { timestampValue.map { ($0, timestampEcho) } }
        set {
            timestampValue = newValue?.value
            timestampEcho = newValue?.echoReply ?? 0
        }
    }
    /// Kinds of options present that have no field above.
    public var otherKinds: [UInt8] = []

    private var timestampValue: UInt32?
    private var timestampEcho: UInt32 = 0

    public init() {}
}

/// A dissected TCP header.
public struct TCPHeader: Hashable, Sendable {
    public var offset: Int
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequence: UInt32
    public var acknowledgement: UInt32
    public var headerLength: Int
    public var flags: TCPFlags
    public var window: UInt16
    public var checksum: UInt16
    /// Whether the checksum is correct; nil when it cannot be checked (a fragment, or a segment
    /// the capture cut short).
    public var checksumValid: Bool?
    public var urgentPointer: UInt16
    public var options: TCPOptions
    public var payloadLength: Int
}

/// A dissected UDP header.
public struct UDPHeader: Hashable, Sendable {
    public var offset: Int
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var length: Int
    public var checksum: UInt16
    /// nil when it cannot be checked, or for IPv4 datagrams sent without a checksum (0).
    public var checksumValid: Bool?
}

/// The IP header and first transport bytes quoted inside an ICMP or ICMPv6 error.
public struct EmbeddedPacket: Hashable, Sendable {
    public var network: NetworkHeader
    public var protocolNumber: UInt8
    /// Ports of TCP, UDP, UDP-Lite, SCTP and DCCP, when the quote holds them.
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?
    /// ICMP or ICMPv6 type, code and identifier of a quoted echo.
    public var icmpType: UInt8?
    public var icmpCode: UInt8?
    public var icmpIdentifier: UInt16?
}

/// A dissected ICMP or ICMPv6 message header.
public struct ICMPHeader: Hashable, Sendable {
    public var offset: Int
    public var type: UInt8
    public var code: UInt8
    public var checksum: UInt16
    /// nil when the message is not wholly captured, or is an IPv4 fragment.
    public var checksumValid: Bool?
    /// The four bytes after the checksum (identifier and sequence for echoes).
    public var restOfHeader: UInt32
    /// For error messages: the packet that caused it.
    public var embedded: EmbeddedPacket?
    public var length: Int

    public var identifier: UInt16 { UInt16(restOfHeader >> 16) }
    public var sequence: UInt16 { UInt16(restOfHeader & 0xFFFF) }
}

/// The transport layer of a frame.
public enum TransportHeader: Hashable, Sendable {
    case tcp(TCPHeader)
    case udp(UDPHeader)
    case icmp(ICMPHeader)
    case icmpv6(ICMPHeader)
    /// A protocol the dissector does not decode.
    case other(protocolNumber: UInt8, offset: Int)
}

/// A fragment of an IPv4 or IPv6 datagram.
public struct FragmentInfo: Hashable, Sendable {
    public var identification: UInt32
    /// Offset in bytes of this fragment's data in the original datagram.
    public var offset: Int
    public var moreFragments: Bool
    public var protocolNumber: UInt8

    public init(identification: UInt32, offset: Int, moreFragments: Bool, protocolNumber: UInt8) {
        self.identification = identification
        self.offset = offset
        self.moreFragments = moreFragments
        self.protocolNumber = protocolNumber
    }
}
