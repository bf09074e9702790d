import Packets

/// The samples that exercise the example programs of `bpf/` beyond the firewall: a SYN flood for
/// `xdp_syn_guard`, several services for `tc_ct_mark`, NATed connections for `tc_ct_nat`.
extension SampleCatalog {
    /// A real client's connections among spoofed SYNs: 1.6 s of traffic at the guard's link.
    ///
    /// - 198.51.100.1 completes a handshake (and becomes trusted), so does 2001:db8::1;
    /// - one source (198.51.100.99) sends six SYNs: more than its own budget of four;
    /// - 40 SYNs from spoofed sources 198.51.100.100...139 (the server's SYN-ACKs to them are
    ///   not in the capture): they fill the global budget of 32;
    /// - during the flood 198.51.100.1 (trusted) connects again twice: one connection is refused
    ///   with RST-ACK, the other completes; a new client 198.51.100.3 gets no entry for its SYN
    ///   nor for its next attempt a second later;
    /// - an ACK of no connection from 198.51.100.200.
    static func synFlood() -> SampleCapture {
        var r = SampleRecorder()
        var real = TCPConversation(
            client: SampleAddresses.client4, clientPort: 46_000, server: SampleAddresses.server4, serverPort: 80,
            clientISN: 0x1100_0000, serverISN: 0x2200_0000)
        real.handshake(into: &r)
        r.advance(milliseconds: 2)
        r.add(real.segment(fromClient: true, flags: [.psh, .ack], payload: Array("GET / HTTP/1.1\r\nHost: example\r\n\r\n".utf8)), fromClient: true)
        r.advance(milliseconds: 10)
        r.add(real.segment(fromClient: false, flags: [.psh, .ack], payload: filler(200)), fromClient: false)
        r.advance(milliseconds: 5)
        var real6 = TCPConversation(
            client: SampleAddresses.client6, clientPort: 46_100, server: SampleAddresses.server6, serverPort: 443,
            clientISN: 0x1300_0000, serverISN: 0x2400_0000)
        real6.handshake(into: &r)
        r.advance(milliseconds: 5)

        // One source over its own budget.
        let noisy = IPAddress("198.51.100.99")!
        for i in 0..<6 {
            var c = TCPConversation(
                client: noisy, clientPort: UInt16(50_000 + i), server: SampleAddresses.server4, serverPort: 80,
                clientISN: 0x3300_0000 &+ UInt32(i) << 12, serverISN: 0)
            c.timestamps = false
            r.add(c.segment(fromClient: true, flags: .syn, options: TCPConversation.synOptions), fromClient: true)
            r.advance(milliseconds: 1)
        }

        // The flood: spoofed sources, each SYN answered, none acknowledged.
        for i in 0..<40 {
            var c = TCPConversation(
                client: IPAddress("198.51.100.\(100 + i)")!, clientPort: UInt16(1_024 + 37 * i), server: SampleAddresses.server4,
                serverPort: 80, clientISN: 0x4400_0000 &+ UInt32(i) &* 0x0101_0101, serverISN: 0x5500_0000 &+ UInt32(i) << 16)
            c.timestamps = false
            r.add(c.segment(fromClient: true, flags: .syn, options: TCPConversation.synOptions), fromClient: true)
            r.advance(milliseconds: 1)
            if i == 20 {
                // The trusted client again: refused, then a connection that completes.
                var refused = TCPConversation(
                    client: SampleAddresses.client4, clientPort: 46_001, server: SampleAddresses.server4, serverPort: 8080,
                    clientISN: 0x1101_0000, serverISN: 0)
                refused.timestamps = false
                r.add(refused.segment(fromClient: true, flags: .syn, options: TCPConversation.synOptions), fromClient: true)
                r.advance(milliseconds: 1)
                r.add(refused.segment(fromClient: false, flags: [.rst, .ack]), fromClient: false)
                r.advance(milliseconds: 1)
            }
        }
        var again = TCPConversation(
            client: SampleAddresses.client4, clientPort: 46_002, server: SampleAddresses.server4, serverPort: 80,
            clientISN: 0x1102_0000, serverISN: 0x2202_0000)
        again.handshake(into: &r)
        r.advance(milliseconds: 3)

        // A new client during the flood, and its retransmitted SYN.
        var late = TCPConversation(
            client: IPAddress("198.51.100.3")!, clientPort: 46_200, server: SampleAddresses.server4, serverPort: 80,
            clientISN: 0x6600_0000, serverISN: 0)
        late.timestamps = false
        r.add(late.segment(fromClient: true, flags: .syn, options: TCPConversation.synOptions), fromClient: true)
        r.advance(milliseconds: 1_000)
        var retry = TCPConversation(
            client: IPAddress("198.51.100.3")!, clientPort: 46_201, server: SampleAddresses.server4, serverPort: 80,
            clientISN: 0x6700_0000, serverISN: 0)
        retry.timestamps = false
        r.add(retry.segment(fromClient: true, flags: .syn, options: TCPConversation.synOptions), fromClient: true)
        r.advance(milliseconds: 10)

        // An ACK that belongs to no connection.
        var stray = TCPConversation(
            client: IPAddress("198.51.100.200")!, clientPort: 46_300, server: SampleAddresses.server4, serverPort: 80,
            clientISN: 0x7700_0000, serverISN: 0x7800_0000)
        stray.timestamps = false
        r.add(stray.segment(fromClient: true, flags: .ack), fromClient: true)
        return r.sample("syn-flood.pcap", "a SYN flood from spoofed sources among real handshakes (xdp_syn_guard)")
    }

    /// Connections to several services, for a classifier: HTTP and HTTPS, DNS over UDP (IPv4 and
    /// IPv6), SSH, an iperf-like UDP stream and a TCP connection to an unlisted port, and an
    /// HTTPS connection whose first packet seen is the server's (classified by its source port).
    static func multiService() -> SampleCapture {
        var r = SampleRecorder()
        for (port, service) in [(47_000 as UInt16, 80 as UInt16), (47_001, 443), (47_002, 22), (47_003, 9_000)] {
            var c = TCPConversation(
                client: SampleAddresses.client4, clientPort: port, server: SampleAddresses.server4, serverPort: service,
                clientISN: UInt32(port) << 15, serverISN: UInt32(service) << 17)
            c.handshake(into: &r)
            r.advance(milliseconds: 2)
            r.add(c.segment(fromClient: true, flags: [.psh, .ack], payload: filler(48, seed: UInt8(service & 0x3F))), fromClient: true)
            r.advance(milliseconds: 8)
            r.add(c.segment(fromClient: false, flags: [.psh, .ack], payload: filler(300, seed: 5)), fromClient: false)
            r.advance(milliseconds: 4)
        }
        let query = [0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0] + Array("\u{7}example\u{3}org\0\0\u{1c}\0\u{1}".utf8)
        r.add(IPPacketBuilder(source: SampleAddresses.client4, destination: SampleAddresses.dns4,
                              transport: .udp(sourcePort: 47_010, destinationPort: 53, payload: query)), fromClient: true)
        r.advance(milliseconds: 9)
        r.add(IPPacketBuilder(source: SampleAddresses.dns4, destination: SampleAddresses.client4,
                              transport: .udp(sourcePort: 53, destinationPort: 47_010, payload: query + filler(28))), fromClient: false)
        r.advance(milliseconds: 3)
        r.add(IPPacketBuilder(source: SampleAddresses.client6, destination: SampleAddresses.server6,
                              transport: .udp(sourcePort: 47_011, destinationPort: 53, payload: query)), fromClient: true)
        r.advance(milliseconds: 6)
        r.add(IPPacketBuilder(source: SampleAddresses.server6, destination: SampleAddresses.client6,
                              transport: .udp(sourcePort: 53, destinationPort: 47_011, payload: query + filler(40))), fromClient: false)
        r.advance(milliseconds: 3)
        for i in 0..<4 {
            r.add(IPPacketBuilder(source: SampleAddresses.client4, destination: SampleAddresses.server4,
                                  transport: .udp(sourcePort: 47_020, destinationPort: 5_001, payload: filler(1000, seed: UInt8(i)))),
                  fromClient: true)
            r.advance(milliseconds: 1)
        }
        // Mid-stream: the server's data first, then the client's ACK.
        var midstream = TCPConversation(
            client: SampleAddresses.client4, clientPort: 47_030, server: SampleAddresses.server4, serverPort: 443,
            clientISN: 0x0AB0_0000, serverISN: 0x0CD0_0000)
        r.add(midstream.segment(fromClient: false, flags: [.psh, .ack], payload: filler(500, seed: 7)), fromClient: false)
        r.advance(milliseconds: 1)
        r.add(midstream.segment(fromClient: true, flags: .ack), fromClient: true)
        return r.sample("multi-service.pcap", "TCP and UDP flows to web, DNS, SSH and other ports (tc_ct_mark)")
    }

    /// Connections through a NAT, as the NAT's inside interface sees them: the clients' packets
    /// untranslated, the answers already translated (to the public address 192.0.2.1, from the
    /// backend 192.0.2.10:8080 of the virtual service 192.0.2.100:80).
    ///
    /// - 198.51.100.1:48000 to the virtual service (SNAT + DNAT): its SYN and the backend's
    ///   translated SYN-ACK;
    /// - a DNS query from 198.51.100.1:48001 (SNAT only), its translated answer, and a second query
    ///   on the same ports;
    /// - 198.51.100.3:48000 to the virtual service: its translated tuple is the first
    ///   connection's, so the entry cannot be inserted;
    /// - IPv6: [2001:db8::1]:48002 to the virtual service [2001:db8:1::100]:80, and the answer
    ///   from [2001:db8:1::10]:8080 to [2001:db8:1::1];
    /// - a SYN from the outside (192.0.2.10 to 198.51.100.1), which nothing maps.
    ///
    /// (Only handshake openings: natively tracked, a client's ACK after a SYN-ACK of another tuple
    /// is invalid, which would make the sample a test of invalid packets.)
    static func natClient() -> SampleCapture {
        var r = SampleRecorder()
        let service4 = IPAddress("192.0.2.100")!, public4 = IPAddress("192.0.2.1")!
        let service6 = IPAddress("2001:db8:1::100")!, public6 = IPAddress("2001:db8:1::1")!

        /// A SYN to the service and the backend's SYN-ACK, translated.
        func open(_ c: inout TCPConversation, backend: IPAddress, publicAddress: IPAddress) {
            r.add(c.segment(fromClient: true, flags: .syn, options: TCPConversation.synOptions), fromClient: true)
            r.advance(milliseconds: 20)
            var answer = c.segment(fromClient: false, flags: [.syn, .ack], options: TCPConversation.synOptions)
            if case .tcp(var segment) = answer.transport {
                answer.source = backend
                answer.destination = publicAddress
                segment.sourcePort = 8_080
                answer.transport = .tcp(segment)
            }
            r.add(answer, fromClient: false)
            r.advance(milliseconds: 2)
        }

        var web = TCPConversation(
            client: SampleAddresses.client4, clientPort: 48_000, server: service4, serverPort: 80,
            clientISN: 0x1234_0000, serverISN: 0x5678_0000)
        open(&web, backend: SampleAddresses.server4, publicAddress: public4)

        let query = [0x55, 0xAA, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0] + Array("\u{7}example\u{3}net\0\0\u{1}\0\u{1}".utf8)
        r.add(IPPacketBuilder(source: SampleAddresses.client4, destination: SampleAddresses.dns4,
                              transport: .udp(sourcePort: 48_001, destinationPort: 53, payload: query)), fromClient: true)
        r.advance(milliseconds: 8)
        r.add(IPPacketBuilder(source: SampleAddresses.dns4, destination: public4,
                              transport: .udp(sourcePort: 53, destinationPort: 48_001, payload: query + filler(16))), fromClient: false)
        r.advance(milliseconds: 3)

        var clash = TCPConversation(
            client: IPAddress("198.51.100.3")!, clientPort: 48_000, server: service4, serverPort: 80,
            clientISN: 0x9ABC_0000, serverISN: 0)
        r.add(clash.segment(fromClient: true, flags: .syn, options: TCPConversation.synOptions), fromClient: true)
        r.advance(milliseconds: 5)

        var web6 = TCPConversation(
            client: SampleAddresses.client6, clientPort: 48_002, server: service6, serverPort: 80,
            clientISN: 0x4321_0000, serverISN: 0x8765_0000)
        open(&web6, backend: SampleAddresses.server6, publicAddress: public6)

        var inbound = TCPConversation(
            client: SampleAddresses.server4, clientPort: 48_100, server: SampleAddresses.client4, serverPort: 22,
            clientISN: 0xDEAD_0000, serverISN: 0)
        inbound.timestamps = false
        r.add(inbound.segment(fromClient: true, flags: .syn, options: TCPConversation.synOptions), fromClient: false)
        r.advance(milliseconds: 10)

        var again = query
        again[1] = 0xAB
        r.add(IPPacketBuilder(source: SampleAddresses.client4, destination: SampleAddresses.dns4,
                              transport: .udp(sourcePort: 48_001, destinationPort: 53, payload: again)), fromClient: true)
        return r.sample("nat-client.pcap", "connections through a SNAT/DNAT gateway, answers translated (tc_ct_nat)")
    }
}
