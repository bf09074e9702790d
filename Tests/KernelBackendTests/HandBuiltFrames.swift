import Packets

/// The round trip's packets, built with the Packets builder (valid checksums), and the link-layer
/// wrappings the injector must undo.
enum HandBuiltFrames {
    static func tcp(
        _ source: IPAddress, _ sourcePort: UInt16, _ destination: IPAddress, _ destinationPort: UInt16,
        flags: Packets.TCPFlags, sequence: UInt32, acknowledgement: UInt32
    ) -> [UInt8] {
        let segment = TCPSegment(
            sourcePort: sourcePort, destinationPort: destinationPort, sequence: sequence,
            acknowledgement: acknowledgement, flags: flags)
        return IPPacketBuilder(source: source, destination: destination, transport: .tcp(segment)).build()
    }

    static func udp(
        _ source: IPAddress, _ sourcePort: UInt16, _ destination: IPAddress, _ destinationPort: UInt16, payload: [UInt8]
    ) -> [UInt8] {
        IPPacketBuilder(
            source: source, destination: destination,
            transport: .udp(sourcePort: sourcePort, destinationPort: destinationPort, payload: payload)
        ).build()
    }

    static func echo(_ source: IPAddress, _ destination: IPAddress, reply: Bool, id: UInt16, sequence: UInt16) -> [UInt8] {
        let v6 = source.isIPv6
        let transport: TransportSpec =
            reply
            ? .echoReply(v6: v6, identifier: id, sequence: sequence, payload: Array("ctsim".utf8))
            : .echoRequest(v6: v6, identifier: id, sequence: sequence, payload: Array("ctsim".utf8))
        return IPPacketBuilder(source: source, destination: destination, transport: transport).build()
    }

    static let placeholderDestination = MACAddress(0x02, 0, 0, 0, 0, 0xBB)
    static let placeholderSource = MACAddress(0x02, 0, 0, 0, 0, 0xAA)

    /// Wraps an IP packet for `linkType`; `vlan` adds an 802.1Q tag (Ethernet only).
    static func frame(_ packet: [UInt8], linkType: LinkType, vlan: UInt16? = nil) -> [UInt8] {
        switch linkType {
        case .ethernet:
            return FrameBuilder.ethernet(
                packet, source: placeholderSource, destination: placeholderDestination,
                vlanTags: vlan.map { [VLANTag(id: $0)] } ?? [])
        case .linuxSLL: return FrameBuilder.linuxSLL(packet, source: placeholderSource)
        case .linuxSLL2: return FrameBuilder.linuxSLL2(packet, interfaceIndex: 7, source: placeholderSource)
        case .null: return FrameBuilder.loopback(packet)
        case .raw: return packet
        default: fatalError("no wrapping for \(linkType)")
        }
    }
}

/// The traffic of the round trip: what is sent, and what the router's table must then hold.
enum RoundTripTraffic {
    static let client4 = IPAddress.v4(IPv4Address(198, 51, 100, 1))
    static let server4 = IPAddress.v4(IPv4Address(192, 0, 2, 10))
    static let client6 = IPAddress.v6(IPv6Address("2001:db8::1")!)
    static let server6 = IPAddress.v6(IPv6Address("2001:db8:1::10")!)

    /// IP packets in order; replies come from the servers, injected from the client side too.
    static var packets: [[UInt8]] {
        typealias F = HandBuiltFrames
        return [
            // IPv4 TCP handshake.
            F.tcp(client4, 40000, server4, 80, flags: .syn, sequence: 1000, acknowledgement: 0),
            F.tcp(server4, 80, client4, 40000, flags: [.syn, .ack], sequence: 5000, acknowledgement: 1001),
            F.tcp(client4, 40000, server4, 80, flags: .ack, sequence: 1001, acknowledgement: 5001),
            // IPv4 UDP request and reply.
            F.udp(client4, 40001, server4, 53, payload: Array("query".utf8)),
            F.udp(server4, 53, client4, 40001, payload: Array("answer".utf8)),
            // IPv4 ICMP echo and reply.
            F.echo(client4, server4, reply: false, id: 0x1234, sequence: 1),
            F.echo(server4, client4, reply: true, id: 0x1234, sequence: 1),
            // IPv6 TCP handshake.
            F.tcp(client6, 40002, server6, 443, flags: .syn, sequence: 7000, acknowledgement: 0),
            F.tcp(server6, 443, client6, 40002, flags: [.syn, .ack], sequence: 9000, acknowledgement: 7001),
            F.tcp(client6, 40002, server6, 443, flags: .ack, sequence: 7001, acknowledgement: 9001),
            // IPv6 UDP without a reply.
            F.udp(client6, 40003, server6, 53, payload: Array("unanswered".utf8)),
            // ICMPv6 echo and reply.
            F.echo(client6, server6, reply: false, id: 0x4321, sequence: 1),
            F.echo(server6, client6, reply: true, id: 0x4321, sequence: 1),
        ]
    }

    /// The entries the router must hold afterwards, with timeout, id and use left at 0.
    static var expectedEntries: [KernelConntrackEntryShape] {
        [
            .init(
                family: "ipv4", protocolNumber: 6,
                original: "src=198.51.100.1 dst=192.0.2.10 sport=40000 dport=80",
                reply: "src=192.0.2.10 dst=198.51.100.1 sport=80 dport=40000",
                tcpState: "ESTABLISHED", status: ["SEEN_REPLY", "ASSURED", "CONFIRMED"], timeout: 431_990...432_000),
            .init(
                family: "ipv4", protocolNumber: 17,
                original: "src=198.51.100.1 dst=192.0.2.10 sport=40001 dport=53",
                reply: "src=192.0.2.10 dst=198.51.100.1 sport=53 dport=40001",
                tcpState: nil, status: ["SEEN_REPLY", "CONFIRMED"], timeout: 20...30),
            .init(
                family: "ipv4", protocolNumber: 1,
                original: "src=198.51.100.1 dst=192.0.2.10 type=8 code=0 id=4660",
                reply: "src=192.0.2.10 dst=198.51.100.1 type=0 code=0 id=4660",
                tcpState: nil, status: ["SEEN_REPLY", "CONFIRMED"], timeout: 20...30),
            .init(
                family: "ipv6", protocolNumber: 6,
                original: "src=2001:db8::1 dst=2001:db8:1::10 sport=40002 dport=443",
                reply: "src=2001:db8:1::10 dst=2001:db8::1 sport=443 dport=40002",
                tcpState: "ESTABLISHED", status: ["SEEN_REPLY", "ASSURED", "CONFIRMED"], timeout: 431_990...432_000),
            .init(
                family: "ipv6", protocolNumber: 17,
                original: "src=2001:db8::1 dst=2001:db8:1::10 sport=40003 dport=53",
                reply: "src=2001:db8:1::10 dst=2001:db8::1 sport=53 dport=40003",
                tcpState: nil, status: ["CONFIRMED"], timeout: 20...30),
            .init(
                family: "ipv6", protocolNumber: 58,
                original: "src=2001:db8::1 dst=2001:db8:1::10 type=128 code=0 id=17185",
                reply: "src=2001:db8:1::10 dst=2001:db8::1 type=129 code=0 id=17185",
                tcpState: nil, status: ["SEEN_REPLY", "CONFIRMED"], timeout: 20...30),
        ]
    }
}

/// The comparable part of an entry: everything but the exact timeout, id and use.
struct KernelConntrackEntryShape: Hashable, Comparable, CustomStringConvertible {
    var family: String
    var protocolNumber: UInt8
    var original: String
    var reply: String
    var tcpState: String?
    var status: [String]
    var timeout: ClosedRange<UInt32>

    static func == (a: Self, b: Self) -> Bool { a.key == b.key }
    func hash(into hasher: inout Hasher) { hasher.combine(key) }
    static func < (a: Self, b: Self) -> Bool { a.key < b.key }

    var key: String { "\(family) \(protocolNumber) \(tcpState ?? "-") \(original) | \(reply) [\(status.joined(separator: ","))]" }
    var description: String { key }
}

extension KernelConntrackEntryShape {
    init(_ entry: KernelConntrackEntry) {
        self.init(
            family: entry.family.rawValue, protocolNumber: entry.protocolNumber, original: entry.original.description,
            reply: entry.reply.description, tcpState: entry.tcpState?.name, status: entry.status.names,
            timeout: entry.timeout...entry.timeout)
    }
}

import KernelBackend
