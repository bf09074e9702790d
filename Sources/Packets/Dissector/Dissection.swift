/// Everything the dissector learned about one frame.
///
/// Layers are filled from the outside in. When a layer is malformed, `error` says which and where,
/// and the layers after it stay nil: nothing is guessed.
public struct Dissection: Hashable, Sendable {
    public var link: LinkLayerInfo?
    public var network: NetworkHeader?
    public var transport: TransportHeader?
    /// Set for IPv4 and IPv6 fragments (including the first one).
    public var fragment: FragmentInfo?
    /// Where the transport payload starts, and its length (0 when unknown).
    public var payloadOffset = 0
    public var payloadLength = 0
    /// The first malformed layer, if any.
    public var error: DissectionError?
    /// Layers whose checksum was checked and is wrong.
    public var checksumErrors: [Layer] = []
    /// Whether the capture stored fewer bytes than were on the wire.
    public var capturedShort = false

    public init() {}

    public var ipv4: IPv4Header? { if case .ipv4(let h) = network { h } else { nil } }
    public var ipv6: IPv6Header? { if case .ipv6(let h) = network { h } else { nil } }
    public var tcp: TCPHeader? { if case .tcp(let h) = transport { h } else { nil } }
    public var udp: UDPHeader? { if case .udp(let h) = transport { h } else { nil } }
    public var icmp: ICMPHeader? {
        switch transport {
        case .icmp(let h), .icmpv6(let h): h
        default: nil
        }
    }

    /// The source and destination addresses of the network layer.
    public var addresses: (source: IPAddress, destination: IPAddress)? {
        switch network {
        case .ipv4(let h): (.v4(h.source), .v4(h.destination))
        case .ipv6(let h): (.v6(h.source), .v6(h.destination))
        default: nil
        }
    }

    /// The IP protocol number of the transport layer (after IPv6 extension headers).
    public var protocolNumber: UInt8? {
        switch network {
        case .ipv4(let h): h.protocolNumber
        case .ipv6(let h): h.upperLayerProtocol
        default: nil
        }
    }
}
