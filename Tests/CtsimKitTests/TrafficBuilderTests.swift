import CtsimKit
import Foundation
import Testing

/// The packet builder: what it builds dissects as intended, with correct checksums, sequence
/// numbers that follow the conversation, and timestamps on the traffic's clock.
@Suite("The packet builder")
struct TrafficBuilderTests {
    struct Setup: Sendable, CustomStringConvertible {
        var client: Endpoint
        var server: Endpoint
        var vlan: VLANTag?
        var description: String { "\(client) -> \(server)" + (vlan.map { " vlan \($0.id)" } ?? "") }
    }

    static let setups = [
        Setup(client: "198.51.100.1:40000", server: "192.0.2.10:80"),
        Setup(client: "[2001:db8::1]:40001", server: "[2001:db8:1::10]:443"),
        Setup(client: "198.51.100.1:40002", server: "192.0.2.20:8080", vlan: VLANTag(id: 100)),
        Setup(
            client: "[2001:db8::1]:40003", server: "[2001:db8:1::20]:22",
            vlan: VLANTag(tpid: EtherType.qinq, priority: 5, id: 4000)),
    ]

    static func dissect(_ packet: CapturedPacket) throws -> Dissection {
        let d = Dissector(linkType: .ethernet).dissect(packet)
        #expect(d.error == nil, "packet \(packet.number): \(String(describing: d.error))")
        #expect(d.checksumErrors.isEmpty, "packet \(packet.number): checksum errors in \(d.checksumErrors)")
        if let ipv4 = d.ipv4 { #expect(ipv4.checksumValid) }
        return d
    }

    @Test("a TCP conversation: flags, addresses, sequence numbers, payloads and checksums", arguments: setups)
    func tcpConversation(_ setup: Setup) throws {
        var traffic = Traffic()
        var tcp = TCPConversation(
            client: setup.client, server: setup.server, clientISN: 0xFFFF_FFF0, serverISN: 7, vlan: setup.vlan)
        traffic += tcp.handshake()
        traffic += tcp.send("GET / HTTP/1.1\r\n\r\n")
        traffic += tcp.send(Array(repeating: 0x41, count: 1000), from: .server)
        traffic += tcp.close(initiator: .server)
        traffic += tcp.reset(from: .client)
        #expect(traffic.count == 11)

        let wanted: [(Side, TCPFlags, payload: Int)] = [
            (.client, .syn, 0), (.server, [.syn, .ack], 0), (.client, .ack, 0),
            (.client, [.psh, .ack], 18), (.server, .ack, 0),
            (.server, [.psh, .ack], 1000), (.client, .ack, 0),
            (.server, [.fin, .ack], 0), (.client, [.fin, .ack], 0), (.server, .ack, 0),
            (.client, [.rst, .ack], 0),
        ]
        // The sequence space each side has used before each segment, counted independently.
        var clientNext: UInt32 = 0xFFFF_FFF0
        var serverNext: UInt32 = 7
        for (packet, (side, flags, payload)) in zip(traffic.packets, wanted) {
            let d = try Self.dissect(packet)
            let header = try #require(d.tcp, "packet \(packet.number) is not TCP")
            #expect(header.checksumValid == true)
            #expect(header.flags == flags, "packet \(packet.number)")
            #expect(d.payloadLength == payload, "packet \(packet.number)")
            #expect(d.link?.vlanTags == (setup.vlan.map { [$0] } ?? []))
            let fromClient = side == .client
            #expect(d.addresses?.source == (fromClient ? setup.client.address : setup.server.address))
            #expect(d.addresses?.destination == (fromClient ? setup.server.address : setup.client.address))
            #expect(header.sourcePort == (fromClient ? setup.client.port : setup.server.port))
            #expect(header.destinationPort == (fromClient ? setup.server.port : setup.client.port))
            #expect(header.sequence == (fromClient ? clientNext : serverNext), "packet \(packet.number): sequence")
            if flags.contains(.ack) {
                #expect(
                    header.acknowledgement == (fromClient ? serverNext : clientNext),
                    "packet \(packet.number): acknowledgement")
            }
            if flags.contains(.syn) {
                #expect(header.options.maximumSegmentSize == (setup.client.address.isIPv6 ? 1440 : 1460))
                #expect(header.options.sackPermitted && header.options.windowScale == 7)
            }
            let used = UInt32(payload) + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
            if fromClient { clientNext &+= used } else { serverNext &+= used }
        }
        let request = traffic.packets[3].data
        let d = try Self.dissect(traffic.packets[3])
        #expect(
            Array(request[d.payloadOffset..<d.payloadOffset + d.payloadLength]) == Array("GET / HTTP/1.1\r\n\r\n".utf8))
        #expect(tcp.clientNext == clientNext && tcp.serverNext == serverNext)
    }

    @Test("UDP datagrams and ICMP echoes", arguments: setups)
    func datagrams(_ setup: Setup) throws {
        var traffic = Traffic()
        var udp = UDPConversation(client: setup.client, server: setup.server, vlan: setup.vlan)
        traffic += udp.exchange("question", "an answer")
        traffic += udp.send([], from: .client)
        var ping = ICMPEcho(
            client: setup.client.address, server: setup.server.address, identifier: 0x1234, vlan: setup.vlan)
        traffic += ping.exchange()
        traffic += ping.request()

        let payloads = ["question", "an answer", ""]
        for (packet, payload) in zip(traffic.packets.prefix(3), payloads) {
            let d = try Self.dissect(packet)
            let header = try #require(d.udp)
            #expect(header.checksumValid == true)
            #expect(Array(packet.data[d.payloadOffset..<d.payloadOffset + d.payloadLength]) == Array(payload.utf8))
            #expect(header.length == 8 + payload.utf8.count)
            #expect(d.link?.vlanTags == (setup.vlan.map { [$0] } ?? []))
        }
        #expect(try Self.dissect(traffic.packets[1]).udp?.sourcePort == setup.server.port)

        let v6 = setup.client.address.isIPv6
        let echoes = try traffic.packets.suffix(3).map { try #require(Self.dissect($0).icmp) }
        #expect(echoes.map(\.type) == (v6 ? [128, 129, 128] : [8, 0, 8]))
        #expect(echoes.map(\.identifier) == [0x1234, 0x1234, 0x1234])
        #expect(echoes.map(\.sequence) == [1, 1, 2])
        #expect(echoes.allSatisfy { $0.checksumValid == true })
        #expect(try Self.dissect(traffic.packets[4]).addresses?.source == setup.server.address)
    }

    @Test("a spec changed before it is appended: a wrong checksum is built wrong and dissected as wrong")
    func badChecksum() throws {
        var traffic = Traffic()
        var udp = UDPConversation(client: "198.51.100.1:1000", server: "192.0.2.53:53")
        var spec = udp.send("x")
        spec.ip.validChecksum = false
        spec.ip.ttl = 1
        traffic += spec
        let d = Dissector(linkType: .ethernet).dissect(traffic.packets[0])
        #expect(d.checksumErrors == [.udp])
        #expect(d.ipv4?.ttl == 1)
    }

    @Test("timestamps: the start, the step, a spec's own delay, and waits")
    func clock() {
        var traffic = Traffic(start: Timestamp(seconds: 100), step: .milliseconds(5))
        var udp = UDPConversation(client: "198.51.100.1:1000", server: "192.0.2.53:53")
        traffic += udp.send("a")
        traffic += udp.send("b")
        traffic.wait(.seconds(2))
        traffic += udp.send("c")
        traffic += udp.send("d").after(.microseconds(250))
        traffic.append(frame: traffic.packets[0].data, after: .nanoseconds(1))
        let base: Int64 = 100_000_000_000
        #expect(
            traffic.packets.map(\.timestamp.nanoseconds)
                == [base, base + 5_000_000, base + 2_010_000_000, base + 2_010_250_000, base + 2_010_250_001])
        #expect(traffic.packets.map(\.number) == [1, 2, 3, 4, 5])
        #expect(traffic.capture.packets.count == 5)
        #expect(traffic.capture.linkType == .ethernet)
    }

    @Test("a pcap written by the traffic reads back with the same frames and nanosecond timestamps")
    func pcapRoundTrip() throws {
        var traffic = Traffic(step: .nanoseconds(1_234_567))
        var tcp = TCPConversation(client: "[2001:db8::1]:5000", server: "[2001:db8:1::10]:80")
        tcp.timestamps = true
        traffic += tcp.handshake()
        traffic += tcp.close()
        let path = KitTestFiles.temporaryPath("roundtrip.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try traffic.write(to: path)
        let read = try Capture(contentsOf: path)
        #expect(read.linkType == .ethernet)
        #expect(read.packets.map(\.data) == traffic.packets.map(\.data))
        #expect(read.packets.map(\.timestamp) == traffic.packets.map(\.timestamp))
        let options = try read.packets.map { try #require(Dissector(linkType: .ethernet).dissect($0).tcp).options }
        #expect(options.allSatisfy { $0.timestamp != nil })
        #expect(options[1].timestamp?.echoReply == options[0].timestamp?.value)
    }

    @Test("a pcap that cannot be written is a capture error naming the path")
    func unwritable() {
        let traffic = Traffic()
        #expect {
            try traffic.write(to: "/nonexistent-dir/x.pcap")
        } throws: { error in
            (error as? CtsimKitError)?.kind == .capture
                && (error as? CtsimKitError)?.location == "/nonexistent-dir/x.pcap"
        }
    }

    @Test("endpoints parse IPv4 and bracketed IPv6 with a port, and nothing else")
    func endpoints() {
        #expect(Endpoint("198.51.100.1:80") == Endpoint(IPAddress("198.51.100.1")!, port: 80))
        #expect(Endpoint("[2001:db8::1]:65535") == Endpoint(IPAddress("2001:db8::1")!, port: 65535))
        let text = "[2001:db8::1]:65535"
        #expect(Endpoint(text)?.description == text)
        for bad in [
            "198.51.100.1", "198.51.100.1:", "198.51.100.1:65536", "2001:db8::1:80", "[2001:db8::1]80", "host:80", "",
        ] {
            #expect(Endpoint(bad) == nil, "\(bad)")
        }
        let flow = Flow.udp(client: "198.51.100.1:5353", server: "192.0.2.53:53")
        #expect(
            flow.originalTuple
                == ConntrackTuple(
                    source: IPAddress("198.51.100.1")!, destination: IPAddress("192.0.2.53")!, protocolNumber: 17,
                    sourcePort: 5353, destinationPort: 53))
        #expect(flow.description == "udp 198.51.100.1:5353 -> 192.0.2.53:53")
    }
}
