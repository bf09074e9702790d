import Packets

/// The sample captures of `Pcaps/`.
public enum SampleCatalog {
    /// Every sample, in a stable order.
    public static var all: [SampleCapture] {
        [
            tcpHandshakeClose(), tcpReset(), udpRequestReply(), icmpEcho(), ipv6Mixed(), vlanTagged(), fragments(),
            linuxCooked(), linuxCookedV2(), rawIP(), loopback(), rawIPv6LinkType(), pcapngNanoseconds(), snapLength(),
            synFlood(), multiService(), natClient(), sctpAssociation(), udpLiteGRE(),
        ]
    }

    /// Writes every sample into `directory`.
    public static func writeAll(to directory: String) throws(CaptureError) {
        for sample in all { try sample.write(to: directory) }
    }

    /// An IPv4 TCP connection: handshake with MSS/SACK/timestamps/window scale, a request and a
    /// two-segment response, and an orderly FIN close from both sides.
    static func tcpHandshakeClose() -> SampleCapture {
        var r = SampleRecorder()
        var c = TCPConversation(
            client: SampleAddresses.client4, clientPort: 40_000, server: SampleAddresses.server4, serverPort: 80,
            clientISN: 0x1000_0000, serverISN: 0x2000_0000)
        c.handshake(into: &r)
        r.advance(milliseconds: 2)
        r.add(c.segment(fromClient: true, flags: [.psh, .ack], payload: Array("GET / HTTP/1.1\r\nHost: example\r\n\r\n".utf8)), fromClient: true)
        r.advance(milliseconds: 20)
        r.add(c.segment(fromClient: false, flags: .ack, payload: filler(1200)), fromClient: false)
        r.advance(microseconds: 150)
        r.add(c.segment(fromClient: false, flags: [.psh, .ack], payload: filler(300, seed: 3)), fromClient: false)
        r.advance(milliseconds: 1)
        r.add(c.segment(fromClient: true, flags: .ack), fromClient: true)
        r.advance(milliseconds: 100)
        r.add(c.segment(fromClient: true, flags: [.fin, .ack]), fromClient: true)
        r.advance(milliseconds: 20)
        r.add(c.segment(fromClient: false, flags: [.fin, .ack]), fromClient: false)
        r.advance(milliseconds: 1)
        r.add(c.segment(fromClient: true, flags: .ack), fromClient: true)
        return r.sample("tcp-handshake-close.pcap", "IPv4 TCP: handshake with options, request, response, FIN close")
    }

    /// A TCP connection the server resets after some data, and a SYN refused with RST-ACK.
    static func tcpReset() -> SampleCapture {
        var r = SampleRecorder()
        var c = TCPConversation(
            client: SampleAddresses.client4, clientPort: 40_001, server: SampleAddresses.server4, serverPort: 443,
            clientISN: 0x3000_0000, serverISN: 0x4000_0000)
        c.handshake(into: &r)
        r.advance(milliseconds: 5)
        r.add(c.segment(fromClient: true, flags: [.psh, .ack], payload: filler(64)), fromClient: true)
        r.advance(milliseconds: 15)
        r.add(c.segment(fromClient: false, flags: [.rst, .ack]), fromClient: false)
        r.advance(milliseconds: 50)
        var refused = TCPConversation(
            client: SampleAddresses.client4, clientPort: 40_002, server: SampleAddresses.server4, serverPort: 8080,
            clientISN: 0x5000_0000, serverISN: 0)
        refused.timestamps = false
        r.add(refused.segment(fromClient: true, flags: .syn, options: TCPConversation.synOptions), fromClient: true)
        r.advance(milliseconds: 10)
        r.add(refused.segment(fromClient: false, flags: [.rst, .ack]), fromClient: false)
        return r.sample("tcp-rst.pcap", "IPv4 TCP: connection reset by the server, and a refused SYN")
    }

    /// DNS-like UDP request and reply, and a datagram that gets no reply.
    static func udpRequestReply() -> SampleCapture {
        var r = SampleRecorder()
        let query = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0] + Array("\u{7}example\u{3}com\0\0\u{1}\0\u{1}".utf8)
        r.add(IPPacketBuilder(source: SampleAddresses.client4, destination: SampleAddresses.dns4,
                              transport: .udp(sourcePort: 53_000, destinationPort: 53, payload: query)), fromClient: true)
        r.advance(milliseconds: 12)
        var answer = query
        answer[2] = 0x81
        answer[3] = 0x80
        answer[7] = 1
        answer += [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0x0E, 0x10, 0, 4, 192, 0, 2, 80]
        r.add(IPPacketBuilder(source: SampleAddresses.dns4, destination: SampleAddresses.client4,
                              transport: .udp(sourcePort: 53, destinationPort: 53_000, payload: answer)), fromClient: false)
        r.advance(milliseconds: 500)
        r.add(IPPacketBuilder(source: SampleAddresses.client4, destination: SampleAddresses.server4,
                              transport: .udp(sourcePort: 50_000, destinationPort: 5_000, payload: filler(32))), fromClient: true)
        return r.sample("udp-request-reply.pcap", "IPv4 UDP: a DNS query and answer, and one datagram with no reply")
    }

    /// ICMP echo request and reply twice, and a port-unreachable error quoting a UDP datagram.
    static func icmpEcho() -> SampleCapture {
        var r = SampleRecorder()
        for sequence: UInt16 in 1...2 {
            r.add(IPPacketBuilder(source: SampleAddresses.client4, destination: SampleAddresses.server4,
                                  transport: .echoRequest(v6: false, identifier: 0x0BEE, sequence: sequence, payload: filler(56))),
                  fromClient: true)
            r.advance(milliseconds: 3)
            r.add(IPPacketBuilder(source: SampleAddresses.server4, destination: SampleAddresses.client4,
                                  transport: .echoReply(v6: false, identifier: 0x0BEE, sequence: sequence, payload: filler(56))),
                  fromClient: false)
            r.advance(milliseconds: 997)
        }
        let probe = IPPacketBuilder(source: SampleAddresses.client4, destination: SampleAddresses.server4,
                                    transport: .udp(sourcePort: 33_434, destinationPort: 33_435, payload: filler(24)))
        r.add(probe, fromClient: true)
        r.advance(milliseconds: 4)
        let quoted = Array(probe.build().prefix(28 + 24))
        r.add(IPPacketBuilder(source: SampleAddresses.server4, destination: SampleAddresses.client4,
                              transport: .icmp(type: 3, code: 3, rest: 0, payload: quoted)), fromClient: false)
        return r.sample("icmp-echo.pcap", "IPv4 ICMP: two echo exchanges and a port unreachable quoting a UDP datagram")
    }

    /// IPv6: a TCP connection, a UDP exchange behind a destination-options header, ICMPv6 echo,
    /// with nanosecond timestamps.
    static func ipv6Mixed() -> SampleCapture {
        var r = SampleRecorder()
        var c = TCPConversation(
            client: SampleAddresses.client6, clientPort: 41_000, server: SampleAddresses.server6, serverPort: 80,
            clientISN: 0x6000_0000, serverISN: 0x7000_0000)
        c.handshake(into: &r)
        r.advance(milliseconds: 1, nanoseconds: 123)
        r.add(c.segment(fromClient: true, flags: [.psh, .ack], payload: filler(100)), fromClient: true)
        r.advance(milliseconds: 10)
        r.add(c.segment(fromClient: false, flags: [.psh, .ack], payload: filler(400, seed: 9)), fromClient: false)
        r.advance(milliseconds: 1)
        r.add(c.segment(fromClient: true, flags: [.fin, .ack]), fromClient: true)
        r.advance(milliseconds: 10)
        r.add(c.segment(fromClient: false, flags: [.fin, .ack]), fromClient: false)
        r.advance(milliseconds: 1)
        r.add(c.segment(fromClient: true, flags: .ack), fromClient: true)
        r.advance(milliseconds: 100)
        // UDP behind a destination options header (Pad6).
        var udp = IPPacketBuilder(source: SampleAddresses.client6, destination: SampleAddresses.server6,
                                  transport: .udp(sourcePort: 41_001, destinationPort: 4_000, payload: filler(40)))
        r.add(ip: insertDestinationOptions(udp.build()), fromClient: true)
        r.advance(milliseconds: 7, nanoseconds: 1)
        udp = IPPacketBuilder(source: SampleAddresses.server6, destination: SampleAddresses.client6,
                              transport: .udp(sourcePort: 4_000, destinationPort: 41_001, payload: filler(40, seed: 1)))
        r.add(udp, fromClient: false)
        r.advance(milliseconds: 200)
        r.add(IPPacketBuilder(source: SampleAddresses.client6, destination: SampleAddresses.server6,
                              transport: .echoRequest(v6: true, identifier: 0x6666, sequence: 1, payload: filler(56))),
              fromClient: true)
        r.advance(milliseconds: 2, nanoseconds: 999)
        r.add(IPPacketBuilder(source: SampleAddresses.server6, destination: SampleAddresses.client6,
                              transport: .echoReply(v6: true, identifier: 0x6666, sequence: 1, payload: filler(56))),
              fromClient: false)
        return r.sample("ipv6.pcap", "IPv6: TCP connection, UDP behind a destination-options header, ICMPv6 echo",
                        precision: .nanoseconds)
    }

    /// Moves the upper-layer header of an IPv6 packet behind an 8-byte destination-options header.
    static func insertDestinationOptions(_ packet: [UInt8]) -> [UInt8] {
        var out = Array(packet[0..<40])
        let payloadLength = Int(packet[4]) << 8 | Int(packet[5]) + 8
        out[4] = UInt8(payloadLength >> 8)
        out[5] = UInt8(payloadLength & 0xFF)
        out[6] = 60
        out += [packet[6], 0, 1, 4, 0, 0, 0, 0]  // next header, length 0, PadN of 4 bytes
        return out + packet[40...]
    }

    /// 802.1Q- and 802.1ad-tagged traffic: a UDP exchange in VLAN 100 and a TCP handshake in
    /// QinQ (outer 200, inner 300).
    static func vlanTagged() -> SampleCapture {
        var r = SampleRecorder()
        r.vlanTags = [VLANTag(tpid: EtherType.vlan, priority: 3, dropEligible: false, id: 100)]
        r.add(IPPacketBuilder(source: SampleAddresses.client4, destination: SampleAddresses.server4,
                              transport: .udp(sourcePort: 42_000, destinationPort: 9_999, payload: filler(20))), fromClient: true)
        r.advance(milliseconds: 4)
        r.add(IPPacketBuilder(source: SampleAddresses.server4, destination: SampleAddresses.client4,
                              transport: .udp(sourcePort: 9_999, destinationPort: 42_000, payload: filler(20))), fromClient: false)
        r.advance(milliseconds: 10)
        r.vlanTags = [
            VLANTag(tpid: EtherType.qinq, priority: 0, dropEligible: false, id: 200),
            VLANTag(tpid: EtherType.vlan, priority: 5, dropEligible: true, id: 300),
        ]
        var c = TCPConversation(
            client: SampleAddresses.client4, clientPort: 42_001, server: SampleAddresses.server4, serverPort: 22,
            clientISN: 0x0800_0000, serverISN: 0x0900_0000)
        c.handshake(into: &r)
        return r.sample("vlan.pcap", "802.1Q (VLAN 100) UDP exchange and an 802.1ad QinQ (200/300) TCP handshake")
    }

    /// A large UDP datagram in three IPv4 fragments and its reply, and an IPv6 UDP datagram in
    /// two fragments.
    static func fragments() -> SampleCapture {
        var r = SampleRecorder()
        var big = IPPacketBuilder(source: SampleAddresses.client4, destination: SampleAddresses.server4,
                                  transport: .udp(sourcePort: 43_000, destinationPort: 7_000, payload: filler(3000)))
        big.identification = 0x4242
        big.dontFragment = false
        for fragment in FrameBuilder.fragmentIPv4(big.build(), fragmentSize: 1480) {
            r.add(ip: fragment, fromClient: true)
            r.advance(microseconds: 50)
        }
        r.advance(milliseconds: 5)
        r.add(IPPacketBuilder(source: SampleAddresses.server4, destination: SampleAddresses.client4,
                              transport: .udp(sourcePort: 7_000, destinationPort: 43_000, payload: filler(10))), fromClient: false)
        r.advance(milliseconds: 20)
        let big6 = IPPacketBuilder(source: SampleAddresses.client6, destination: SampleAddresses.server6,
                                   transport: .udp(sourcePort: 43_001, destinationPort: 7_001, payload: filler(2000)))
        for fragment in FrameBuilder.fragmentIPv6(big6.build(), fragmentSize: 1232, identification: 0xF00D) {
            r.add(ip: fragment, fromClient: true)
            r.advance(microseconds: 50)
        }
        return r.sample("fragments.pcap", "IPv4 UDP datagram in three fragments with a reply; IPv6 UDP in two fragments")
    }

    static func simpleExchange(_ r: inout SampleRecorder, port: UInt16) {
        var c = TCPConversation(
            client: SampleAddresses.client4, clientPort: port, server: SampleAddresses.server4, serverPort: 80,
            clientISN: UInt32(port) << 16, serverISN: UInt32(port) << 8)
        c.handshake(into: &r)
        r.advance(milliseconds: 3)
        r.add(IPPacketBuilder(source: SampleAddresses.client6, destination: SampleAddresses.server6,
                              transport: .udp(sourcePort: port, destinationPort: 53, payload: filler(30))), fromClient: true)
    }

    static func linuxCooked() -> SampleCapture {
        var r = SampleRecorder(linkType: .linuxSLL)
        simpleExchange(&r, port: 44_000)
        return r.sample("linux-sll.pcap", "Linux cooked capture (SLL): TCP handshake and IPv6 UDP")
    }

    static func linuxCookedV2() -> SampleCapture {
        var r = SampleRecorder(linkType: .linuxSLL2)
        simpleExchange(&r, port: 44_001)
        return r.sample("linux-sll2.pcap", "Linux cooked capture v2 (SLL2): TCP handshake and IPv6 UDP")
    }

    static func rawIP() -> SampleCapture {
        var r = SampleRecorder(linkType: .raw)
        simpleExchange(&r, port: 44_002)
        return r.sample("raw-ip.pcap", "Raw IP (LINKTYPE_RAW): TCP handshake and IPv6 UDP")
    }

    static func loopback() -> SampleCapture {
        var r = SampleRecorder(linkType: .null)
        simpleExchange(&r, port: 44_003)
        return r.sample("null-loopback.pcap", "BSD loopback (DLT_NULL): TCP handshake and IPv6 UDP")
    }

    static func rawIPv6LinkType() -> SampleCapture {
        var r = SampleRecorder(linkType: .ipv6)
        r.add(IPPacketBuilder(source: SampleAddresses.client6, destination: SampleAddresses.server6,
                              transport: .echoRequest(v6: true, identifier: 7, sequence: 1, payload: filler(16))), fromClient: true)
        r.advance(milliseconds: 1)
        r.add(IPPacketBuilder(source: SampleAddresses.server6, destination: SampleAddresses.client6,
                              transport: .echoReply(v6: true, identifier: 7, sequence: 1, payload: filler(16))), fromClient: false)
        return r.sample("linktype-ipv6.pcap", "LINKTYPE_IPV6: an ICMPv6 echo exchange")
    }

    static func pcapngNanoseconds() -> SampleCapture {
        var r = SampleRecorder()
        simpleExchange(&r, port: 44_004)
        r.advance(nanoseconds: 1)
        r.add(IPPacketBuilder(source: SampleAddresses.client4, destination: SampleAddresses.dns4,
                              transport: .udp(sourcePort: 44_005, destinationPort: 53, payload: filler(12))), fromClient: true)
        return r.sample("tcp-udp.pcapng", "pcapng with nanosecond resolution: TCP handshake and UDP",
                        container: .pcapng, precision: .nanoseconds)
    }

    static func snapLength() -> SampleCapture {
        var r = SampleRecorder()
        var c = TCPConversation(
            client: SampleAddresses.client4, clientPort: 45_000, server: SampleAddresses.server4, serverPort: 80,
            clientISN: 0x0A00_0000, serverISN: 0x0B00_0000)
        c.handshake(into: &r)
        r.advance(milliseconds: 1)
        var packet = SampleRecorder()
        packet.clock = r.clock
        r.add(ip: c.segment(fromClient: false, flags: [.psh, .ack], payload: filler(1000)).build(), fromClient: false,
              snapshotLength: 96)
        return r.sample("snaplen-96.pcap", "snapshot length 96: the data segment is cut short", snapshotLength: 96)
    }
}
