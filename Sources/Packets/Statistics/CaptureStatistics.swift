/// Counts of one protocol in a capture.
public struct ProtocolCount: Hashable, Sendable {
    public var packets = 0
    public var bytes = 0
    public var flows = 0
}

/// A bidirectional flow: both directions of a conversation give the same key.
public struct FlowKey: Hashable, Sendable {
    public var protocolNumber: UInt8
    public var lower: Endpoint
    public var upper: Endpoint

    public struct Endpoint: Hashable, Comparable, Sendable {
        public var address: IPAddress
        /// The port, or for ICMP echoes the identifier.
        public var port: UInt16

        public static func < (a: Self, b: Self) -> Bool { (a.address, a.port) < (b.address, b.port) }
    }

    public init(protocolNumber: UInt8, _ a: Endpoint, _ b: Endpoint) {
        self.protocolNumber = protocolNumber
        (lower, upper) = a < b ? (a, b) : (b, a)
    }

    /// The flow a dissected packet belongs to; nil for packets that are not part of a flow
    /// (non-IP, non-first fragments, ICMP errors, malformed packets).
    public init?(_ dissection: Dissection) {
        guard dissection.error == nil, let (source, destination) = dissection.addresses,
            let protocolNumber = dissection.protocolNumber
        else { return nil }
        if let fragment = dissection.fragment, fragment.offset != 0 { return nil }
        let ports: (UInt16, UInt16)
        switch dissection.transport {
        case .tcp(let h): ports = (h.sourcePort, h.destinationPort)
        case .udp(let h): ports = (h.sourcePort, h.destinationPort)
        case .icmp(let h), .icmpv6(let h):
            guard h.embedded == nil else { return nil }
            ports = (h.identifier, h.identifier)
        case .other: ports = (0, 0)
        case nil: return nil
        }
        self.init(
            protocolNumber: protocolNumber, Endpoint(address: source, port: ports.0),
            Endpoint(address: destination, port: ports.1))
    }
}

/// One malformed packet of a capture.
public struct PacketProblem: Hashable, Sendable {
    public var packet: Int
    public var error: DissectionError
}

/// What `ctsim pcap-info` reports about a capture: sizes, time span, and a breakdown by protocol
/// with flow counts.
public struct CaptureStatistics: Sendable {
    public var packets = 0
    public var bytesCaptured = 0
    public var bytesOnWire = 0
    public var first: Timestamp?
    public var last: Timestamp?
    /// Per protocol name: `tcp`, `udp`, `icmp`, `icmpv6`, `ip-proto-N`, `fragment` (non-first
    /// fragments), `arp`, `non-ip`, `malformed`.
    public var protocols: [String: ProtocolCount] = [:]
    public var fragments = 0
    public var malformed = 0
    public var checksumErrors = 0
    public var vlanTagged = 0
    public var cutBySnapshotLength = 0
    /// The first `problemLimit` malformed packets.
    public var problems: [PacketProblem] = []
    public var problemLimit = 20
    /// Timestamps that go backwards compared with the packet before.
    public var outOfOrder = 0

    private var flowSets: [String: Set<FlowKey>] = [:]

    public init() {}

    /// The number of distinct flows over all protocols.
    public var flows: Int { flowSets.values.reduce(0) { $0 + $1.count } }

    public var duration: Double { (first != nil && last != nil) ? last!.seconds(since: first!) : 0 }

    /// Counts a packet's size and time, for every packet whether dissected or not.
    private mutating func count(_ packet: CapturedPacket) {
        packets += 1
        bytesCaptured += packet.data.count
        bytesOnWire += packet.originalLength
        if let last, packet.timestamp < last { outOfOrder += 1 }
        if first == nil || packet.timestamp < first! { first = packet.timestamp }
        if last == nil || packet.timestamp > last! { last = packet.timestamp }
        if packet.isTruncated { cutBySnapshotLength += 1 }
    }

    /// Adds a packet of a link type the dissector does not know: counted, not dissected.
    public mutating func addUndissected(_ packet: CapturedPacket) {
        count(packet)
        protocols["unsupported-link", default: ProtocolCount()].packets += 1
        protocols["unsupported-link", default: ProtocolCount()].bytes += packet.originalLength
    }

    /// Adds one packet and what the dissector made of it.
    public mutating func add(_ packet: CapturedPacket, _ dissection: Dissection) {
        count(packet)
        if dissection.link.map({ !$0.vlanTags.isEmpty }) == true { vlanTagged += 1 }
        if !dissection.checksumErrors.isEmpty { checksumErrors += 1 }
        if dissection.fragment != nil { fragments += 1 }

        let name = Self.protocolName(dissection)
        var count = protocols[name, default: ProtocolCount()]
        count.packets += 1
        count.bytes += packet.originalLength
        if let key = FlowKey(dissection) {
            let inserted = flowSets[name, default: []].insert(key).inserted
            if inserted { count.flows += 1 }
        }
        protocols[name] = count

        if let error = dissection.error {
            malformed += 1
            if problems.count < problemLimit { problems.append(PacketProblem(packet: packet.number, error: error)) }
        }
    }

    /// The protocol a packet is counted under.
    public static func protocolName(_ d: Dissection) -> String {
        if d.error != nil, d.transport == nil, d.network == nil || d.protocolNumber != nil { return "malformed" }
        if let fragment = d.fragment, fragment.offset != 0 { return "fragment" }
        switch d.transport {
        case .tcp: return "tcp"
        case .udp: return "udp"
        case .icmp: return "icmp"
        case .icmpv6: return "icmpv6"
        case .other(let p, _): return "ip-proto-\(p)"
        case nil: break
        }
        switch d.network {
        case .arp: return "arp"
        case .other: return "non-ip"
        default: return "malformed"
        }
    }
}
