import Packets

/// The kinds of flow `TrafficGenerator` writes.
public enum TrafficScenario: String, Sendable, Hashable, CaseIterable {
    // TCP
    case tcpClose = "tcp-close"
    case tcpEstablished = "tcp-established"
    case tcpLoss = "tcp-loss"
    case tcpReorder = "tcp-reorder"
    case tcpResetInWindow = "tcp-rst-in-window"
    case tcpResetOutOfWindow = "tcp-rst-out-of-window"
    case tcpRefused = "tcp-refused"
    case tcpUnanswered = "tcp-unanswered"
    case tcpSimultaneousOpen = "tcp-simultaneous-open"
    case tcpHalfClose = "tcp-half-close"
    case tcpPortReuse = "tcp-port-reuse"
    case tcpPickup = "tcp-pickup"
    /// `tcpPickup` under `nf_conntrack_tcp_loose=0` (the `.strict` mix): no entry.
    case tcpPickupStrict = "tcp-pickup-strict"
    /// One data segment sent again and again without an ACK (past `nf_conntrack_tcp_max_retrans`).
    case tcpRetransmissions = "tcp-retransmissions"
    /// The SYN-ACK seen twice before the handshake's ACK.
    case tcpSynAckRetransmit = "tcp-synack-retransmit"
    /// A first segment with a flag combination conntrack rejects (SYN+FIN, FIN alone, none).
    case tcpInvalidFlags = "tcp-invalid-flags"
    /// An RST inside the window whose sequence number is not the one expected (RFC 5961).
    case tcpResetInexact = "tcp-rst-inexact"
    // UDP
    case udpExchange = "udp-exchange"
    case udpNoReply = "udp-no-reply"
    /// A reply, then a packet more than 2 s after the first: ASSURED, stream timeout.
    case udpStream = "udp-stream"
    /// A reply, then a packet between 1 and 1.5 s later: not ASSURED.
    case udpShortGap = "udp-short-gap"
    // ICMP
    case icmpEcho = "icmp-echo"
    case icmpEchoNoReply = "icmp-echo-no-reply"
    /// ICMP timestamp (13/14) or ICMPv6 node information (139/140).
    case icmpOtherQuery = "icmp-other-query"
    case icmpErrorForUDP = "icmp-error-udp"
    case icmpErrorForTCP = "icmp-error-tcp"
    case icmpErrorUntracked = "icmp-error-untracked"
    // Fragments
    case fragmentedUDP = "fragments-udp"
    case fragmentedICMP = "fragments-icmp"
    case fragmentedTCP = "fragments-tcp"
    // Edge cases
    /// UDP probes with TTL / hop limit 1 (the router cannot forward them, so their entries are
    /// never confirmed), sometimes followed by one that passes.
    case udpTraceroute = "udp-traceroute"
    /// A fragmented datagram with a fragment missing: never reassembled, never tracked.
    case fragmentsIncomplete = "fragments-incomplete"
    /// A fragmented datagram with one fragment seen twice.
    case fragmentsDuplicate = "fragments-duplicate"
    /// A segment far beyond the receiver's window in the middle of a connection.
    case tcpOutOfWindowData = "tcp-out-of-window-data"
    /// A new SYN (another ISN) on an established connection, answered by a challenge ACK.
    case tcpSynInEstablished = "tcp-syn-in-established"
    /// The client reports an ICMP error about the server's reply.
    case icmpErrorReverse = "icmp-error-reverse"
    // Timeouts (with the `.timeouts` mix's shortened sysctls)
    case udpExpired = "udp-expired"
    case udpNoReplyExpired = "udp-no-reply-expired"
    case icmpExpired = "icmp-expired"
    case tcpResetExpired = "tcp-rst-expired"
    // SCTP, UDP-Lite, GRE (the `.otherProtocols` mix)
    case sctpAssociation = "sctp-association"
    case sctpAbort = "sctp-abort"
    case sctpInitOnly = "sctp-init-only"
    case udpLiteExchange = "udplite-exchange"
    case greTunnel = "gre-tunnel"

    static let tcp: [TrafficScenario] = [
        .tcpClose, .tcpEstablished, .tcpLoss, .tcpReorder, .tcpResetInWindow, .tcpResetOutOfWindow, .tcpRefused,
        .tcpUnanswered, .tcpSimultaneousOpen, .tcpHalfClose, .tcpPortReuse, .tcpPickup, .tcpRetransmissions,
        .tcpSynAckRetransmit, .tcpInvalidFlags, .tcpResetInexact,
    ]
    static let datagrams: [TrafficScenario] = [
        .udpExchange, .udpNoReply, .icmpEcho, .icmpEchoNoReply, .icmpOtherQuery, .icmpErrorForUDP, .icmpErrorForTCP,
        .icmpErrorUntracked,
    ]
    static let fragments: [TrafficScenario] = [.fragmentedUDP, .fragmentedICMP, .fragmentedTCP]
    static let otherProtocols: [TrafficScenario] = [
        .sctpAssociation, .sctpAbort, .sctpInitOnly, .udpLiteExchange, .greTunnel,
    ]
    static let edge: [TrafficScenario] = [
        .udpTraceroute, .fragmentsIncomplete, .fragmentsDuplicate, .tcpOutOfWindowData, .tcpSynInEstablished,
        .icmpErrorReverse,
    ]
    /// Every scenario that spans well under a second and holds under default sysctls.
    static let fast: [TrafficScenario] = tcp + datagrams + fragments

    /// Writes one flow of this scenario into `recording` and describes it.
    func record(into r: inout FlowRecording, plan: inout FlowPlanner, random: inout SeededRandom) -> GeneratedFlow {
        switch self {
        case .tcpClose, .tcpEstablished, .tcpLoss, .tcpReorder, .tcpResetInWindow, .tcpResetOutOfWindow, .tcpRefused,
            .tcpUnanswered, .tcpSimultaneousOpen, .tcpHalfClose, .tcpPortReuse, .tcpPickup, .tcpResetExpired,
            .fragmentedTCP, .tcpPickupStrict, .tcpRetransmissions, .tcpSynAckRetransmit, .tcpInvalidFlags,
            .tcpResetInexact,
            .tcpOutOfWindowData, .tcpSynInEstablished:
            return recordTCP(into: &r, plan: &plan, random: &random)
        case .udpExchange, .udpNoReply, .udpStream, .udpShortGap, .udpExpired, .udpNoReplyExpired, .fragmentedUDP,
            .udpTraceroute, .fragmentsIncomplete, .fragmentsDuplicate, .icmpErrorReverse:
            return recordUDP(into: &r, plan: &plan, random: &random)
        case .icmpEcho, .icmpEchoNoReply, .icmpOtherQuery, .icmpErrorForUDP, .icmpErrorForTCP, .icmpErrorUntracked,
            .fragmentedICMP, .icmpExpired:
            return recordICMP(into: &r, plan: &plan, random: &random)
        case .sctpAssociation, .sctpAbort, .sctpInitOnly, .udpLiteExchange, .greTunnel:
            return recordOtherProtocol(into: &r, plan: &plan, random: &random)
        }
    }
}

/// A set of scenarios a generated capture draws its flows from.
public enum TrafficMix: String, Sendable, Hashable, CaseIterable {
    /// 3 to 6 TCP flows.
    case tcp
    /// 3 to 6 UDP and ICMP flows.
    case datagrams
    /// 2 to 4 fragmented flows and one other.
    case fragments
    /// 3 to 6 flows of any fast scenario, all IPv6.
    case ipv6
    /// 4 to 8 flows of any fast scenario.
    case mixed
    /// 2 to 4 edge cases (TTL 1, incomplete and duplicate fragments, out-of-window data, SYN on
    /// an established connection, ICMP errors about replies) and 1 to 3 fast flows.
    case edge
    /// 3 to 6 TCP flows under `nf_conntrack_tcp_loose=0` and `nf_conntrack_tcp_be_liberal=1`
    /// (`routerSysctls`): pickups leave no entry, window checks pass everything.
    case strict
    /// UDP flows with gaps either side of the 2 s stream rule, and 1 to 3 fast flows; spans ~2.7 s.
    case udpStream = "udp-stream"
    /// Flows that outlive shortened timeouts (`routerSysctls`); spans ~2.7 s.
    case timeouts
    /// 2 to 5 SCTP, UDP-Lite and GRE flows and 1 to 2 fast flows.
    case otherProtocols = "other-protocols"

    var ordinal: Int { Self.allCases.firstIndex(of: self)! }

    /// The mix seed `seed` gets in the standard corpus: eight fast captures in ten (one of them
    /// `.edge`, one `.otherProtocols`), one `.udpStream` and one `.timeouts`.
    public static func standard(forSeed seed: UInt64) -> TrafficMix {
        let cycle: [TrafficMix] = [
            .tcp, .mixed, .datagrams, .fragments, .ipv6, .strict, .edge, .udpStream, .otherProtocols, .timeouts,
        ]
        return cycle[Int(seed % UInt64(cycle.count))]
    }

    /// Whether the point of the mix is a gap of seconds.
    public var isGapMix: Bool { self == .udpStream || self == .timeouts }

    /// The sysctls the router must have for the mix's expectations to hold.
    public var routerSysctls: [(key: String, value: String)] {
        if self == .strict {
            return [("net.netfilter.nf_conntrack_tcp_loose", "0"), ("net.netfilter.nf_conntrack_tcp_be_liberal", "1")]
        }
        guard self == .timeouts else { return [] }
        return [
            ("net.netfilter.nf_conntrack_udp_timeout", "2"),
            ("net.netfilter.nf_conntrack_icmp_timeout", "2"),
            ("net.netfilter.nf_conntrack_icmpv6_timeout", "2"),
            ("net.netfilter.nf_conntrack_tcp_timeout_close", "1"),
        ]
    }

    func scenarios(using random: inout SeededRandom) -> [TrafficScenario] {
        func draw(_ pool: [TrafficScenario], _ count: ClosedRange<Int>) -> [TrafficScenario] {
            (0..<random.int(in: count)).map { _ in random.pick(pool) }
        }
        switch self {
        case .tcp: return draw(TrafficScenario.tcp, 3...6)
        case .datagrams: return draw(TrafficScenario.datagrams, 3...6)
        case .fragments: return draw(TrafficScenario.fragments, 2...4) + draw(TrafficScenario.fast, 1...1)
        case .ipv6: return draw(TrafficScenario.fast, 3...6)
        case .mixed: return draw(TrafficScenario.fast, 4...8)
        case .strict: return draw(TrafficScenario.tcp.filter { $0 != .tcpPickup } + [.tcpPickupStrict], 3...6)
        case .edge: return draw(TrafficScenario.edge, 2...4) + draw(TrafficScenario.fast, 1...3)
        case .udpStream: return [.udpStream, .udpShortGap] + draw(TrafficScenario.fast, 1...3)
        case .otherProtocols: return draw(TrafficScenario.otherProtocols, 2...5) + draw(TrafficScenario.fast, 1...2)
        case .timeouts:
            // udp-expired first: its late packet keeps the capture long enough for the others to expire.
            return [.udpExpired] + draw([.udpNoReplyExpired, .icmpExpired, .tcpResetExpired, .tcpClose], 2...4)
        }
    }
}

/// Hands out addresses, ports, ICMP identifiers and fragment identifiers that no other flow of
/// the capture uses, so flows never collide unless a scenario means them to.
struct FlowPlanner {
    var usedClientPorts: Set<UInt16> = []
    var usedIdentifiers: Set<UInt16> = []
    var nextFragmentID: UInt32 = 0x0001_0000
    var ipv6Only = false

    mutating func family(_ random: inout SeededRandom) -> Bool {
        ipv6Only || random.chance(40)
    }

    mutating func endpoints(v6: Bool, _ random: inout SeededRandom) -> (client: IPAddress, server: IPAddress) {
        let clients = v6 ? TrafficGenerator.clientAddresses6 : TrafficGenerator.clientAddresses4
        let servers = v6 ? TrafficGenerator.serverAddresses6 : TrafficGenerator.serverAddresses4
        return (random.pick(clients), random.pick(servers))
    }

    mutating func clientPort(_ random: inout SeededRandom) -> UInt16 {
        while true {
            let port = random.uint16(in: 32_768...60_999)
            if usedClientPorts.insert(port).inserted { return port }
        }
    }

    mutating func serverPort(_ random: inout SeededRandom) -> UInt16 {
        random.pick([22, 53, 80, 123, 443, 993, 5201, 8080])
    }

    mutating func identifier(_ random: inout SeededRandom) -> UInt16 {
        while true {
            let id = random.uint16(in: 1...65_535)
            if usedIdentifiers.insert(id).inserted { return id }
        }
    }

    mutating func fragmentIdentifier() -> UInt32 {
        nextFragmentID &+= 1
        return nextFragmentID
    }
}

/// The packets of one flow on the flow's own clock (microseconds from the capture's start).
struct FlowRecording {
    var clock: Int64
    var events: [(time: Int64, fromClient: Bool, packet: [UInt8])] = []
    var ipIdentification: UInt16

    init(start: Int64, ipIdentification: UInt16) {
        clock = start
        self.ipIdentification = ipIdentification
    }

    mutating func advance(milliseconds: Int64 = 0, microseconds: Int64 = 0) {
        clock += milliseconds * 1000 + microseconds
    }

    /// Advances by a random round-trip-ish delay of `range` milliseconds, in microsecond steps.
    mutating func wait(_ range: ClosedRange<Int64>, _ random: inout SeededRandom) {
        clock += random.int64(in: range.lowerBound * 1000...range.upperBound * 1000)
    }

    /// Builds and records a packet, giving IPv4 packets the next identification.
    mutating func emit(_ builder: IPPacketBuilder, fromClient: Bool) {
        events.append((clock, fromClient, build(builder)))
    }

    mutating func build(_ builder: IPPacketBuilder) -> [UInt8] {
        var builder = builder
        ipIdentification &+= 1
        builder.identification = ipIdentification
        return builder.build()
    }

    mutating func emit(packet: [UInt8], fromClient: Bool) {
        events.append((clock, fromClient, packet))
    }
}
