import Conntrack
import Packets
import SampleCaptures
import Testing

/// An SCTP association between `client` and `server` whose packets carry the right tags.
struct Association {
    var clientPort: UInt16 = 48_000
    var serverPort: UInt16 = 36_412
    /// The client's initiate tag (the server's packets carry it) and the server's.
    var clientTag: UInt32 = 0x0102_0304
    var serverTag: UInt32 = 0x0A0B_0C0D

    func packet(fromClient: Bool, tag: UInt32? = nil, _ chunks: [SCTPChunk], corrupt: Bool = false) -> IPPacketBuilder {
        let packet = SCTPPacket(
            sourcePort: fromClient ? clientPort : serverPort, destinationPort: fromClient ? serverPort : clientPort,
            tag: tag ?? (fromClient ? serverTag : clientTag), chunks: chunks, corruptChecksum: corrupt)
        return packet.ip(from: fromClient ? client : server, to: fromClient ? server : client)
    }

    var initiation: IPPacketBuilder { packet(fromClient: true, tag: 0, [.initiation(ack: false, tag: clientTag, tsn: 1)]) }
    var initAck: IPPacketBuilder { packet(fromClient: false, [.initiation(ack: true, tag: serverTag, tsn: 100)]) }
    var cookieEcho: IPPacketBuilder { packet(fromClient: true, [.cookieEcho([1, 2, 3, 4])]) }
    var cookieAck: IPPacketBuilder { packet(fromClient: false, [.cookieAck]) }

    /// INIT .. COOKIE_ACK at 0 ... 0.03 s.
    func establish(_ model: ConntrackModel) {
        model.feed(initiation, at: 0)
        model.feed(initAck, at: 0.01)
        model.feed(cookieEcho, at: 0.02)
        model.feed(cookieAck, at: 0.03)
    }
}

@Suite("SCTP tracker")
struct SCTPTrackerTests {
    @Test("CRC32c: the RFC 9260 / iSCSI check value")
    func crc() {
        #expect(CRC32c.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32c.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    }

    @Test("INIT .. SHUTDOWN_COMPLETE: the kernel's states, timeouts and ASSURED")
    func lifecycle() throws {
        let model = ConntrackModel()
        let a = Association()
        #expect(model.feed(a.initiation, at: 0) == .new)
        var e = try #require(model.onlyEntry)
        // An INIT from NONE leaves the entry CLOSED (10 s) on 6.18, not COOKIE_WAIT.
        #expect(e.sctpState == .closed && model.seconds(e) == 10 && e.status == [.confirmed])
        #expect(e.conntrackListLine(now: model.now, hz: model.hz).contains("sctp     132 10 CLOSED src=198.51.100.1"))
        #expect(model.feed(a.initAck, at: 0.01) == .reply)
        e = try #require(model.onlyEntry)
        #expect(e.sctpState == .cookieWait && model.seconds(e) == 3 && e.status == [.confirmed, .seenReply])
        model.feed(a.cookieEcho, at: 0.02)
        e = try #require(model.onlyEntry)
        #expect(e.sctpState == .cookieEchoed && model.seconds(e) == 3)
        model.feed(a.cookieAck, at: 0.03)
        e = try #require(model.onlyEntry)
        #expect(e.sctpState == .established && model.seconds(e) == 210)
        #expect(e.status == [.confirmed, .seenReply, .assured])
        #expect(model.feed(a.packet(fromClient: true, [.data(tsn: 1, payload: [1, 2, 3])]), at: 1) == .established)
        #expect(model.feed(a.packet(fromClient: false, [.sack(cumulative: 1)]), at: 1.01) == .reply)
        model.feed(a.packet(fromClient: true, [.shutdown(cumulative: 100)]), at: 2)
        e = try #require(model.onlyEntry)
        #expect(e.sctpState == .shutdownSent && model.seconds(e) == 3)
        model.feed(a.packet(fromClient: false, [.shutdownAck]), at: 2.01)
        e = try #require(model.onlyEntry)
        #expect(e.sctpState == .shutdownAckSent && model.seconds(e) == 3)
        model.feed(a.packet(fromClient: true, [.shutdownComplete()]), at: 2.02)
        e = try #require(model.onlyEntry)
        #expect(e.sctpState == .closed && model.seconds(e) == 10 && e.status.contains(.assured))
    }

    @Test("a SHUTDOWN from the server: SHUTDOWN_RECD")
    func shutdownFromServer() throws {
        let model = ConntrackModel()
        let a = Association()
        a.establish(model)
        model.feed(a.packet(fromClient: false, [.shutdown(cumulative: 1)]), at: 1)
        #expect(model.onlyEntry?.sctpState == .shutdownReceived)
        model.feed(a.packet(fromClient: true, [.shutdownAck]), at: 1.01)
        #expect(model.onlyEntry?.sctpState == .shutdownAckSent)
    }

    @Test("ABORT: its tag is the sender's peer's, or with the T bit its own")
    func abort() throws {
        let model = ConntrackModel()
        let a = Association()
        a.establish(model)
        // ABORT from the server with the client's tag on the server side? It must carry the tag
        // the client expects (clientTag) without T; the server's own tag with T is also valid.
        #expect(model.feed(a.packet(fromClient: false, tag: a.serverTag, [.abort()]), at: 1) == .invalid)
        #expect(model.onlyEntry?.sctpState == .established)
        #expect(model.feed(a.packet(fromClient: false, tag: a.serverTag, [.abort(reflected: true)]), at: 1.1) == .reply)
        let e = try #require(model.onlyEntry)
        #expect(e.sctpState == .closed && model.seconds(e) == 10)
    }

    @Test("a wrong verification tag is INVALID and leaves the entry as it was")
    func verificationTag() throws {
        let model = ConntrackModel()
        let a = Association()
        a.establish(model)
        #expect(model.feed(a.packet(fromClient: true, tag: 0xBAD, [.data(tsn: 1, payload: [1])]), at: 100) == .invalid)
        let e = try #require(model.onlyEntry)
        #expect(e.sctpState == .established && model.seconds(e) == 110)
        #expect(model.lastInvalidReason.description.contains("verification tag"))
    }

    @Test("a bad CRC32c is INVALID with nf_conntrack_checksum=1 and tracked with 0")
    func checksum() throws {
        let a = Association()
        let model = ConntrackModel()
        #expect(model.feed(a.packet(fromClient: true, tag: 0, [.initiation(ack: false, tag: 1, tsn: 1)], corrupt: true), at: 0) == .invalid)
        #expect(model.entries.isEmpty)
        var settings = ConntrackSysctls()
        try settings.set("net.netfilter.nf_conntrack_checksum", "0")
        let lax = ConntrackModel(sysctls: settings)
        #expect(lax.feed(a.packet(fromClient: true, tag: 0, [.initiation(ack: false, tag: 1, tsn: 1)], corrupt: true), at: 0) == .new)
        #expect(lax.onlyEntry?.sctpState == .closed)
    }

    @Test("no entry from out-of-the-blue chunks", arguments: [SCTPChunk.abort(), .shutdownComplete(), .cookieAck, .data(tsn: 1, payload: [0]), .sack(cumulative: 1)])
    func outOfTheBlue(_ chunk: SCTPChunk) {
        let model = ConntrackModel()
        #expect(model.feed(Association().packet(fromClient: true, tag: 7, [chunk]), at: 0) == .invalid)
        #expect(model.entries.isEmpty)
    }

    @Test("chunk rules: INIT alone and with a zero tag; COOKIE_ECHO first; no zero-length chunk")
    func basicChecks() {
        let a = Association()
        let model = ConntrackModel()
        #expect(model.feed(a.packet(fromClient: true, tag: 5, [.initiation(ack: false, tag: 1, tsn: 1)]), at: 0) == .invalid)
        #expect(model.feed(a.packet(fromClient: true, tag: 0, [.initiation(ack: false, tag: 1, tsn: 1), .data(tsn: 1, payload: [1])]), at: 0) == .invalid)
        #expect(model.feed(a.packet(fromClient: true, tag: 0, []), at: 0) == .invalid)
        #expect(model.entries.isEmpty)
        a.establish(model)
        #expect(model.feed(a.packet(fromClient: true, [.data(tsn: 2, payload: [1]), .cookieEcho([1, 2, 3, 4])]), at: 1) == .invalid)
        #expect(model.feed(a.packet(fromClient: true, [.sack(cumulative: 100), .data(tsn: 2, payload: [1])]), at: 1) == .established)
    }

    @Test("an INIT retransmitted in CLOSED does not renew the timeout")
    func initRetransmit() throws {
        let model = ConntrackModel()
        let a = Association()
        model.feed(a.initiation, at: 0)
        model.feed(a.initiation, at: 4)
        let e = try #require(model.onlyEntry)
        #expect(e.sctpState == .closed && model.seconds(e) == 6)
    }

    @Test("a HEARTBEAT opens HEARTBEAT_SENT (30 s); its HEARTBEAT_ACK makes it ESTABLISHED and ASSURED")
    func heartbeat() throws {
        let model = ConntrackModel()
        let a = Association()
        #expect(model.feed(a.packet(fromClient: true, [.heartbeat(ack: false, info: 1)]), at: 0) == .new)
        var e = try #require(model.onlyEntry)
        #expect(e.sctpState == .heartbeatSent && model.seconds(e) == 30)
        #expect(model.feed(a.packet(fromClient: false, [.heartbeat(ack: true, info: 1)]), at: 0.01) == .reply)
        e = try #require(model.onlyEntry)
        #expect(e.sctpState == .established && model.seconds(e) == 210 && e.status.contains(.assured))
    }

    @Test("timeouts follow the sysctls")
    func sysctls() throws {
        var settings = ConntrackSysctls()
        try settings.set("net.netfilter.nf_conntrack_sctp_timeout_established", "1000")
        try settings.set("nf_conntrack_sctp_timeout_closed", "4")
        let model = ConntrackModel(sysctls: settings)
        let a = Association()
        model.feed(a.initiation, at: 0)
        #expect(model.seconds(try #require(model.onlyEntry)) == 4)
        model.feed(a.initAck, at: 0.01)
        model.feed(a.cookieEcho, at: 0.02)
        model.feed(a.cookieAck, at: 0.03)
        #expect(model.seconds(try #require(model.onlyEntry)) == 1000)
    }

    @Test("an ICMP error quoting an SCTP packet is RELATED and creates nothing")
    func icmpError() {
        let model = ConntrackModel()
        let a = Association()
        model.feed(a.initiation, at: 0)
        let quoted = Array(a.initiation.build().prefix(48))
        let error = IPPacketBuilder(source: server, destination: client, transport: .icmp(type: 3, code: 3, rest: 0, payload: quoted))
        #expect(model.feed(error, at: 0.01) == .related)
        #expect(model.entries.count == 1 && model.onlyEntry?.status.contains(.seenReply) == false)
    }
}

@Suite("UDP-Lite and GRE trackers")
struct UDPLiteGRETrackerTests {
    @Test("UDP-Lite: UDP's timeouts; the checksum with UDP's pseudo-header protocol over the coverage")
    func udpLite() throws {
        let model = ConntrackModel()
        #expect(model.feed(SampleCatalog.udpLite(from: client, to: server, ports: (1, 2), coverage: 8, payload: [1, 2, 3]), at: 0) == .new)
        var e = try #require(model.onlyEntry)
        #expect(e.protocolNumber == 136 && model.seconds(e) == 30 && !e.status.contains(.seenReply))
        #expect(e.conntrackListLine(now: model.now, hz: model.hz).hasPrefix("ipv4     2 udplite  136 30 src=198.51.100.1 dst=192.0.2.10 sport=1 dport=2 [UNREPLIED]"))
        model.feed(SampleCatalog.udpLite(from: server, to: client, ports: (2, 1), coverage: 0, payload: [4]), at: 0.5)
        model.feed(SampleCatalog.udpLite(from: client, to: server, ports: (1, 2), coverage: 0, payload: [5]), at: 3)
        e = try #require(model.onlyEntry)
        #expect(model.seconds(e) == 120 && e.status.contains(.assured))
    }

    @Test("UDP-Lite: no 2 s stream rule; a reply's successor makes it a stream at once")
    func udpLiteStream() throws {
        let model = ConntrackModel()
        model.feed(SampleCatalog.udpLite(from: client, to: server, ports: (1, 2), coverage: 0, payload: [1]), at: 0)
        model.feed(SampleCatalog.udpLite(from: server, to: client, ports: (2, 1), coverage: 0, payload: [2]), at: 0.1)
        var e = try #require(model.onlyEntry)
        #expect(model.seconds(e) == 30 && !e.status.contains(.assured))
        model.feed(SampleCatalog.udpLite(from: client, to: server, ports: (1, 2), coverage: 0, payload: [3]), at: 0.2)
        e = try #require(model.onlyEntry)
        #expect(model.seconds(e) == 120 && e.status.contains(.assured))
    }

    @Test("UDP-Lite over IPv4: the checksum's pseudo-header length counts with its low byte only")
    func udpLiteLongIPv4() throws {
        let model = ConntrackModel()
        let long = [UInt8](repeating: 7, count: 292)  // 300 bytes of UDP-Lite
        #expect(model.feed(SampleCatalog.udpLite(from: client, to: server, ports: (1, 2), coverage: 0, payload: long), at: 0) == .invalid)
        let v6c = IPAddress("2001:db8::1")!, v6s = IPAddress("2001:db8:1::10")!
        #expect(model.feed(SampleCatalog.udpLite(from: v6c, to: v6s, ports: (1, 2), coverage: 0, payload: long), at: 0) == .new)
        #expect(model.feed(SampleCatalog.udpLite(from: client, to: server, ports: (3, 4), coverage: 8, payload: [UInt8](repeating: 7, count: 200)), at: 0) == .new)
    }

    @Test("UDP-Lite INVALID: RFC 3828's pseudo-header protocol, no checksum, coverage under 8 or over the length")
    func udpLiteInvalid() throws {
        let model = ConntrackModel()
        #expect(model.feed(SampleCatalog.udpLite(from: client, to: server, ports: (1, 2), coverage: 0, payload: [1], pseudoProtocol: 136), at: 0) == .invalid)
        #expect(model.feed(SampleCatalog.udpLite(from: client, to: server, ports: (1, 2), coverage: 0, payload: [1], checksum: 0), at: 0) == .invalid)
        #expect(model.feed(SampleCatalog.udpLite(from: client, to: server, ports: (1, 2), coverage: 4, payload: [1]), at: 0) == .invalid)
        #expect(model.feed(SampleCatalog.udpLite(from: client, to: server, ports: (1, 2), coverage: 20, payload: [1]), at: 0) == .invalid)
        #expect(model.entries.isEmpty)
        var settings = ConntrackSysctls()
        try settings.set("nf_conntrack_checksum", "0")
        let lax = ConntrackModel(sysctls: settings)
        #expect(lax.feed(SampleCatalog.udpLite(from: client, to: server, ports: (1, 2), coverage: 0, payload: [1], pseudoProtocol: 136), at: 0) == .new)
    }

    @Test("GRE version 0: keys 0, 30 s unreplied, 180 s and ASSURED once replied")
    func greVersion0() throws {
        let model = ConntrackModel()
        #expect(model.feed(SampleCatalog.gre(from: client, to: server, version: 0, protocolType: 0x0800, key: 9, payload: [0x45]), at: 0) == .new)
        var e = try #require(model.onlyEntry)
        #expect(model.seconds(e) == 30 && e.original.sourcePort == 0 && e.original.destinationPort == 0)
        #expect(e.conntrackListLine(now: model.now, hz: model.hz, extended: false)
            == "gre      47 30 src=198.51.100.1 dst=192.0.2.10 srckey=0x0 dstkey=0x0 [UNREPLIED] src=192.0.2.10 dst=198.51.100.1 srckey=0x0 dstkey=0x0 mark=0 use=1")
        // The first reply still gets the unreplied timeout: SEEN_REPLY is set after the tracker ran.
        #expect(model.feed(SampleCatalog.gre(from: server, to: client, version: 0, protocolType: 0x0800, payload: [0x45]), at: 1) == .reply)
        e = try #require(model.onlyEntry)
        #expect(model.seconds(e) == 30 && !e.status.contains(.assured))
        model.feed(SampleCatalog.gre(from: client, to: server, version: 0, protocolType: 0x0800, payload: [0x45]), at: 2)
        e = try #require(model.onlyEntry)
        #expect(model.seconds(e) == 180 && e.status.contains(.assured))
    }

    @Test("GRE version 1 (PPTP): the call id is the dstkey; another protocol than PPP is INVALID")
    func greVersion1() throws {
        var settings = ConntrackSysctls()
        try settings.set("net.netfilter.nf_conntrack_gre_timeout", "45")
        let model = ConntrackModel(sysctls: settings)
        #expect(model.feed(SampleCatalog.gre(from: client, to: server, version: 1, protocolType: 0x880B, callID: 0xABCD, payload: [0xFF, 3]), at: 0) == .new)
        let e = try #require(model.onlyEntry)
        #expect(e.original.sourcePort == 0 && e.original.destinationPort == 0xABCD && model.seconds(e) == 45)
        #expect(e.reply.sourcePort == 0xABCD && e.reply.destinationPort == 0)
        #expect(model.feed(SampleCatalog.gre(from: client, to: server, version: 1, protocolType: 0x0800, callID: 1, payload: [0x45]), at: 1) == .invalid)
        #expect(model.entries.count == 1)
    }
}
