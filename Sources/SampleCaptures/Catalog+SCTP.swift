import Packets

extension SampleCatalog {
    /// SCTP associations: a full INIT..SHUTDOWN_COMPLETE association with DATA, SACK and a
    /// HEARTBEAT exchange (and a DATA chunk with a wrong verification tag); an association
    /// aborted by the server; an IPv6 association left established; an INIT with a bad CRC32c;
    /// a DATA chunk out of the blue; an INIT nobody answers and a port-unreachable quoting it; and
    /// last, an INIT answered by INIT_ACK (COOKIE_WAIT, 3 s).
    static func sctpAssociation() -> SampleCapture {
        var r = SampleRecorder()
        let c4 = SampleAddresses.client4, s4 = SampleAddresses.server4
        let c6 = SampleAddresses.client6, s6 = SampleAddresses.server6

        /// INIT, INIT_ACK, COOKIE_ECHO, COOKIE_ACK between `client` and `server`; the tags are
        /// the client's (`a`) and the server's (`b`).
        func handshake(_ client: IPAddress, _ server: IPAddress, port: UInt16, a: UInt32, b: UInt32) {
            r.add(SCTPPacket(sourcePort: port, destinationPort: 36_412, tag: 0, chunks: [.initiation(ack: false, tag: a, tsn: a &+ 7)])
                .ip(from: client, to: server), fromClient: true)
            r.advance(milliseconds: 2)
            r.add(SCTPPacket(sourcePort: 36_412, destinationPort: port, tag: a, chunks: [
                .initiation(ack: true, tag: b, tsn: b &+ 3, extra: [0, 7, 0, 12] + filler(8, seed: 5)),
            ]).ip(from: server, to: client), fromClient: false)
            r.advance(milliseconds: 1)
            r.add(SCTPPacket(sourcePort: port, destinationPort: 36_412, tag: b, chunks: [.cookieEcho(filler(8, seed: 5))])
                .ip(from: client, to: server), fromClient: true)
            r.advance(milliseconds: 2)
            r.add(SCTPPacket(sourcePort: 36_412, destinationPort: port, tag: a, chunks: [.cookieAck])
                .ip(from: server, to: client), fromClient: false)
            r.advance(milliseconds: 1)
        }

        // 1. A whole association, ending CLOSED after SHUTDOWN / SHUTDOWN_ACK / SHUTDOWN_COMPLETE.
        let a1: UInt32 = 0x1111_2222, b1: UInt32 = 0x3333_4444
        handshake(c4, s4, port: 48_000, a: a1, b: b1)
        r.add(SCTPPacket(sourcePort: 48_000, destinationPort: 36_412, tag: b1, chunks: [.data(tsn: a1 &+ 7, payload: filler(100))])
            .ip(from: c4, to: s4), fromClient: true)
        r.advance(milliseconds: 3)
        r.add(SCTPPacket(sourcePort: 36_412, destinationPort: 48_000, tag: a1, chunks: [.sack(cumulative: a1 &+ 7), .data(tsn: b1 &+ 3, payload: filler(60, seed: 2))])
            .ip(from: s4, to: c4), fromClient: false)
        r.advance(milliseconds: 3)
        r.add(SCTPPacket(sourcePort: 48_000, destinationPort: 36_412, tag: b1, chunks: [.heartbeat(ack: false, info: 7)])
            .ip(from: c4, to: s4), fromClient: true)
        r.advance(milliseconds: 1)
        r.add(SCTPPacket(sourcePort: 36_412, destinationPort: 48_000, tag: a1, chunks: [.heartbeat(ack: true, info: 7)])
            .ip(from: s4, to: c4), fromClient: false)
        r.advance(milliseconds: 2)
        // A DATA chunk with the wrong verification tag: INVALID, the entry is untouched.
        r.add(SCTPPacket(sourcePort: 48_000, destinationPort: 36_412, tag: 0xDEAD_BEEF, chunks: [.data(tsn: a1 &+ 8, payload: filler(20))])
            .ip(from: c4, to: s4), fromClient: true)
        r.advance(milliseconds: 5)
        r.add(SCTPPacket(sourcePort: 48_000, destinationPort: 36_412, tag: b1, chunks: [.shutdown(cumulative: b1 &+ 3)])
            .ip(from: c4, to: s4), fromClient: true)
        r.advance(milliseconds: 1)
        r.add(SCTPPacket(sourcePort: 36_412, destinationPort: 48_000, tag: a1, chunks: [.shutdownAck])
            .ip(from: s4, to: c4), fromClient: false)
        r.advance(milliseconds: 1)
        r.add(SCTPPacket(sourcePort: 48_000, destinationPort: 36_412, tag: b1, chunks: [.shutdownComplete()])
            .ip(from: c4, to: s4), fromClient: true)
        r.advance(milliseconds: 10)

        // 2. An association the server aborts after some data.
        let a2: UInt32 = 0x5555_0001, b2: UInt32 = 0x6666_0002
        handshake(c4, s4, port: 48_001, a: a2, b: b2)
        r.add(SCTPPacket(sourcePort: 48_001, destinationPort: 36_412, tag: b2, chunks: [.data(tsn: a2 &+ 7, payload: filler(40))])
            .ip(from: c4, to: s4), fromClient: true)
        r.advance(milliseconds: 4)
        r.add(SCTPPacket(sourcePort: 36_412, destinationPort: 48_001, tag: a2, chunks: [.abort()])
            .ip(from: s4, to: c4), fromClient: false)
        r.advance(milliseconds: 10)

        // 3. IPv6, left ESTABLISHED after a data exchange.
        let a3: UInt32 = 0x0A0B_0C0D, b3: UInt32 = 0x1A1B_1C1D
        handshake(c6, s6, port: 48_002, a: a3, b: b3)
        r.add(SCTPPacket(sourcePort: 48_002, destinationPort: 36_412, tag: b3, chunks: [.data(tsn: a3 &+ 7, payload: filler(32))])
            .ip(from: c6, to: s6), fromClient: true)
        r.advance(milliseconds: 2)
        r.add(SCTPPacket(sourcePort: 36_412, destinationPort: 48_002, tag: a3, chunks: [.sack(cumulative: a3 &+ 7)])
            .ip(from: s6, to: c6), fromClient: false)
        r.advance(milliseconds: 10)

        // 4. An INIT with a corrupted CRC32c, and a DATA chunk out of the blue: neither makes an entry.
        r.add(SCTPPacket(sourcePort: 48_003, destinationPort: 36_412, tag: 0, chunks: [.initiation(ack: false, tag: 0x7777_0003, tsn: 1)], corruptChecksum: true)
            .ip(from: c4, to: s4), fromClient: true)
        r.advance(milliseconds: 2)
        r.add(SCTPPacket(sourcePort: 48_004, destinationPort: 36_412, tag: 0x7777_0004, chunks: [.data(tsn: 1, payload: filler(16))])
            .ip(from: c4, to: s4), fromClient: true)
        r.advance(milliseconds: 2)

        // 5. An INIT nobody answers but a port unreachable quoting it (RELATED, no entry of its own).
        let lonely = SCTPPacket(sourcePort: 48_005, destinationPort: 2_905, tag: 0, chunks: [.initiation(ack: false, tag: 0x7777_0005, tsn: 9)])
        let lonelyIP = lonely.ip(from: c4, to: s4)
        r.add(lonelyIP, fromClient: true)
        r.advance(milliseconds: 3)
        r.add(IPPacketBuilder(source: s4, destination: c4, transport: .icmp(type: 3, code: 3, rest: 0, payload: Array(lonelyIP.build().prefix(48)))),
              fromClient: false)
        r.advance(milliseconds: 5)

        // 6. Last: an INIT answered by INIT_ACK (COOKIE_WAIT).
        r.add(SCTPPacket(sourcePort: 48_006, destinationPort: 36_412, tag: 0, chunks: [.initiation(ack: false, tag: 0x7777_0006, tsn: 5)])
            .ip(from: c4, to: s4), fromClient: true)
        r.advance(milliseconds: 2)
        r.add(SCTPPacket(sourcePort: 36_412, destinationPort: 48_006, tag: 0x7777_0006, chunks: [.initiation(ack: true, tag: 0x7878_0006, tsn: 11)])
            .ip(from: s4, to: c4), fromClient: false)
        return r.sample(
            "sctp-association.pcap",
            "SCTP: a full association to SHUTDOWN_COMPLETE, an abort, IPv6, bad CRC, out of the blue, COOKIE_WAIT")
    }
}
