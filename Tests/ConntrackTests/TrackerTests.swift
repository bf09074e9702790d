import Conntrack
import Packets
import Testing

let client = IPAddress("198.51.100.1")!
let server = IPAddress("192.0.2.10")!

/// A TCP conversation whose segments carry consistent sequence numbers.
struct Conversation {
    var clientSeq: UInt32 = 1000
    var serverSeq: UInt32 = 5000
    var sport: UInt16 = 40_000
    var dport: UInt16 = 80

    mutating func segment(fromClient: Bool, _ flags: TCPFlags, payload: Int = 0, window: UInt16 = 64_240) -> IPPacketBuilder {
        let seq = fromClient ? clientSeq : serverSeq
        let ack = flags.contains(.ack) ? (fromClient ? serverSeq : clientSeq) : 0
        var options = TCPOptions()
        if flags.contains(.syn) {
            options.windowScale = 7
            options.sackPermitted = true
        }
        let segment = TCPSegment(
            sourcePort: fromClient ? sport : dport, destinationPort: fromClient ? dport : sport, sequence: seq,
            acknowledgement: ack, flags: flags, window: window, options: options,
            payload: [UInt8](repeating: 0x41, count: payload))
        let advance = UInt32(payload) + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
        if fromClient { clientSeq &+= advance } else { serverSeq &+= advance }
        return IPPacketBuilder(
            source: fromClient ? client : server, destination: fromClient ? server : client, transport: .tcp(segment))
    }
}

@Suite("TCP tracker")
struct TCPTrackerTests {
    @Test("handshake, data, FIN close: the kernel's states, timeouts and status bits")
    func lifecycle() throws {
        let model = ConntrackModel()
        var c = Conversation()
        #expect(model.feed(c.segment(fromClient: true, .syn), at: 0) == .new)
        var e = try #require(model.onlyEntry)
        #expect(e.tcpState == .synSent && model.seconds(e) == 120 && e.status == [.confirmed])
        #expect(model.feed(c.segment(fromClient: false, [.syn, .ack]), at: 0.01) == .reply)
        e = try #require(model.onlyEntry)
        #expect(e.tcpState == .synReceived && model.seconds(e) == 60 && e.status == [.confirmed, .seenReply])
        model.feed(c.segment(fromClient: true, .ack), at: 0.02)
        e = try #require(model.onlyEntry)
        #expect(e.tcpState == .established && model.seconds(e) == 432_000 && e.status == [.confirmed, .seenReply, .assured])
        // Unacknowledged data caps the timeout at UNACK (300 s).
        model.feed(c.segment(fromClient: true, [.psh, .ack], payload: 100), at: 0.03)
        #expect(model.seconds(try #require(model.onlyEntry)) == 300)
        model.feed(c.segment(fromClient: false, .ack), at: 0.04)
        #expect(model.seconds(try #require(model.onlyEntry)) == 432_000)
        model.feed(c.segment(fromClient: true, [.fin, .ack]), at: 0.05)
        #expect(model.onlyEntry?.tcpState == .finWait)
        model.feed(c.segment(fromClient: false, [.fin, .ack]), at: 0.06)
        #expect(model.onlyEntry?.tcpState == .lastAck)
        // LAST_ACK's 30 s is below UNACK's 300 s, so the unacknowledged FIN does not lengthen it.
        #expect(model.seconds(try #require(model.onlyEntry)) == 30)
        model.feed(c.segment(fromClient: true, .ack), at: 0.07)
        e = try #require(model.onlyEntry)
        #expect(e.tcpState == .timeWait && model.seconds(e) == 120)
        // A new SYN on the closed connection's tuple reopens it as a fresh entry.
        var again = Conversation(clientSeq: 900_000)
        #expect(model.feed(again.segment(fromClient: true, .syn), at: 1) == .new)
        e = try #require(model.onlyEntry)
        #expect(e.tcpState == .synSent && e.status == [.confirmed])
        #expect(model.statistics.deleted == 1)
    }

    @Test("a SYN refused with RST-ACK leaves no entry; a reset connection is CLOSE for 10 s")
    func resets() throws {
        let model = ConntrackModel()
        var c = Conversation()
        model.feed(c.segment(fromClient: true, .syn), at: 0)
        model.feed(c.segment(fromClient: false, [.rst, .ack]), at: 0.001)
        #expect(model.entries.isEmpty)
        var d = Conversation(sport: 40_001)
        model.feed(d.segment(fromClient: true, .syn), at: 1)
        model.feed(d.segment(fromClient: false, [.syn, .ack]), at: 1.001)
        model.feed(d.segment(fromClient: true, .ack), at: 1.002)
        // An RST whose sequence is below what the peer acknowledged is invalid.
        var stale = d
        stale.serverSeq &-= 10
        #expect(model.feed(stale.segment(fromClient: false, [.rst, .ack]), at: 1.003) == .invalid)
        #expect(model.onlyEntry?.tcpState == .established)
        model.feed(d.segment(fromClient: false, [.rst, .ack]), at: 1.004)
        let e = try #require(model.onlyEntry)
        #expect(e.tcpState == .close && model.seconds(e) == 10)
    }

    @Test("mid-stream pickup: ESTABLISHED capped at 300 s with loose=1, invalid with loose=0")
    func loosePickup() throws {
        var c = Conversation()
        let model = ConntrackModel()
        #expect(model.feed(c.segment(fromClient: true, .ack, payload: 10), at: 0) == .new)
        let e = try #require(model.onlyEntry)
        #expect(e.tcpState == .established && model.seconds(e) == 300 && !e.status.contains(.seenReply))
        var sysctls = ConntrackSysctls()
        try sysctls.set("net.netfilter.nf_conntrack_tcp_loose", "0")
        let strict = ConntrackModel(sysctls: sysctls)
        #expect(strict.feed(c.segment(fromClient: true, .ack, payload: 10), at: 0) == .invalid)
        #expect(strict.entries.isEmpty && strict.statistics.invalid == 1)
    }

    @Test("window checks: an ACK for data never sent is INVALID; out-of-window data is ignored")
    func window() throws {
        let model = ConntrackModel()
        var c = Conversation()
        model.feed(c.segment(fromClient: true, .syn), at: 0)
        model.feed(c.segment(fromClient: false, [.syn, .ack]), at: 0.01)
        model.feed(c.segment(fromClient: true, .ack), at: 0.02)
        var ahead = c
        ahead.serverSeq &+= 1_000_000  // the client acknowledges bytes the server never sent
        #expect(model.feed(ahead.segment(fromClient: true, .ack), at: 0.03) == .invalid)
        var far = c
        far.clientSeq &+= 50_000_000  // beyond the receiver's window
        #expect(model.feed(far.segment(fromClient: true, .ack, payload: 10), at: 0.04) == .invalid)
        var sysctls = ConntrackSysctls()
        try sysctls.set("nf_conntrack_tcp_be_liberal", "1")
        let liberal = ConntrackModel(sysctls: sysctls)
        var l = Conversation()
        liberal.feed(l.segment(fromClient: true, .syn), at: 0)
        liberal.feed(l.segment(fromClient: false, [.syn, .ack]), at: 0.01)
        liberal.feed(l.segment(fromClient: true, .ack), at: 0.02)
        l.clientSeq &+= 50_000_000
        #expect(liberal.feed(l.segment(fromClient: true, .ack, payload: 10), at: 0.03) == .established)
    }

    @Test("bad checksums and invalid flag combinations are INVALID and create nothing")
    func errors() throws {
        let model = ConntrackModel()
        var c = Conversation()
        var bad = c.segment(fromClient: true, .syn)
        bad.validChecksum = false
        #expect(model.feed(bad, at: 0) == .invalid)
        #expect(model.feed(c.segment(fromClient: true, [.syn, .fin]), at: 0) == .invalid)
        #expect(model.entries.isEmpty && model.statistics.invalid == 2)
        var sysctls = ConntrackSysctls()
        try sysctls.set("net.netfilter.nf_conntrack_checksum", "0")
        let lax = ConntrackModel(sysctls: sysctls)
        #expect(lax.feed(bad, at: 0) == .new)
    }

    @Test("SYN retransmits do not extend an unanswered entry's timeout")
    func synRetransmit() throws {
        let model = ConntrackModel()
        var c = Conversation()
        let syn = c.segment(fromClient: true, .syn)
        model.feed(syn, at: 0)
        model.feed(syn, at: 5)
        #expect(model.seconds(try #require(model.onlyEntry)) == 115)
    }
}

@Suite("UDP, ICMP and generic trackers")
struct DatagramTrackerTests {
    func udp(_ fromClient: Bool, sport: UInt16 = 5000, dport: UInt16 = 53) -> IPPacketBuilder {
        IPPacketBuilder(
            source: fromClient ? client : server, destination: fromClient ? server : client,
            transport: .udp(sourcePort: fromClient ? sport : dport, destinationPort: fromClient ? dport : sport, payload: [1, 2, 3]))
    }

    @Test("UDP: 30 s unreplied and replied; 120 s and ASSURED only after 2 s")
    func udpStream() throws {
        let model = ConntrackModel()
        model.feed(udp(true), at: 0)
        var e = try #require(model.onlyEntry)
        #expect(model.seconds(e) == 30 && e.status == [.confirmed])
        model.feed(udp(false), at: 0.5)
        e = try #require(model.onlyEntry)
        #expect(model.seconds(e) == 30 && e.status == [.confirmed, .seenReply])
        model.feed(udp(true), at: 1.9)
        #expect(model.onlyEntry?.status.contains(.assured) == false)
        model.feed(udp(true), at: 2.1)
        e = try #require(model.onlyEntry)
        #expect(model.seconds(e) == 120 && e.status == [.confirmed, .seenReply, .assured])
    }

    @Test("UDP entries expire on the capture's clock")
    func expiry() throws {
        let model = ConntrackModel()
        model.recordsEvents = true
        model.feed(udp(true), at: 0)
        model.feed(udp(true, sport: 6000), at: 29.9)
        #expect(model.entries.count == 2)
        model.feed(udp(true, sport: 7000), at: 31)
        model.sweep()
        #expect(model.entries.count == 2 && model.statistics.expired == 1)
        // The expired entry is reaped before the packet at 31 s is tracked.
        #expect(model.events.map(\.kind) == [.new, .new, .destroy, .new])
        #expect(model.events[2].timeout == nil && model.events[2].entry.original.sourcePort == 5000)
    }

    @Test("ICMP echo pairs; errors are RELATED through the quoted header and create nothing")
    func icmp() throws {
        let model = ConntrackModel()
        let request = IPPacketBuilder(source: client, destination: server, transport: .echoRequest(v6: false, identifier: 7, sequence: 1))
        let reply = IPPacketBuilder(source: server, destination: client, transport: .echoReply(v6: false, identifier: 7, sequence: 1))
        #expect(model.feed(reply, at: 0) == .invalid)  // a reply cannot start an entry
        #expect(model.feed(request, at: 0) == .new)
        #expect(model.feed(reply, at: 0.1) == .reply)
        let e = try #require(model.onlyEntry)
        #expect(e.reply.icmpType == 0 && e.original.icmpID == 7 && model.seconds(e) == 30 && !e.status.contains(.assured))
        let datagram = udp(true).build()
        let unreachable = IPPacketBuilder(
            source: server, destination: client, transport: .icmp(type: 3, code: 3, rest: 0, payload: Array(datagram.prefix(28))))
        #expect(model.feed(unreachable, at: 0.2) == .invalid)  // no UDP entry yet
        model.feed(udp(true), at: 0.3)
        #expect(model.feed(unreachable, at: 0.4) == .related)
        #expect(model.entries.count == 2)
        #expect(model.entries.first { $0.protocolNumber == 17 }?.status.contains(.seenReply) == false)
    }

    @Test("ICMPv6: echo tracked, neighbour discovery untracked")
    func icmpv6() throws {
        let model = ConntrackModel()
        let a = IPAddress("2001:db8::1")!
        let b = IPAddress("2001:db8:1::10")!
        #expect(model.feed(IPPacketBuilder(source: a, destination: b, transport: .echoRequest(v6: true, identifier: 9, sequence: 1)), at: 0) == .new)
        #expect(model.feed(IPPacketBuilder(source: a, destination: b, transport: .icmp(type: 135, code: 0, rest: 0, payload: [UInt8](repeating: 0, count: 16))), at: 0) == .untracked)
        let e = try #require(model.onlyEntry)
        #expect(e.original.icmpType == 128 && e.reply.icmpType == 129)
    }

    @Test("other protocols: the generic tracker, 600 s")
    func generic() throws {
        let model = ConntrackModel()
        model.feed(IPPacketBuilder(source: client, destination: server, transport: .raw(protocolNumber: 99, bytes: [1, 2, 3, 4])), at: 0)
        let e = try #require(model.onlyEntry)
        #expect(model.seconds(e) == 600 && e.conntrackListLine(now: model.now, hz: model.hz).hasPrefix("ipv4     2 unknown  99 600 src="))
    }

    @Test("a full table drops unassured entries early, and new packets when everything is assured")
    func earlyDrop() throws {
        var sysctls = ConntrackSysctls()
        try sysctls.set("net.netfilter.nf_conntrack_max", "4")
        try sysctls.set("net.netfilter.nf_conntrack_buckets", "1")
        let model = ConntrackModel(sysctls: sysctls)
        for port in UInt16(1)...4 { model.feed(udp(true, sport: port), at: 0) }
        #expect(model.feed(udp(true, sport: 5), at: 0) == .new)
        #expect(model.entries.count == 1 && model.statistics.earlyDrops == 4)
        let assured = ConntrackModel(sysctls: sysctls)
        for port in UInt16(1)...4 { assured.feed(udp(true, sport: port), at: 0) }
        for port in UInt16(1)...4 { assured.feed(udp(false, sport: port), at: 0.1) }
        for port in UInt16(1)...4 { assured.feed(udp(true, sport: port), at: 3) }
        #expect(assured.feed(udp(true, sport: 5), at: 3) == .dropped)
        #expect(assured.entries.count == 4 && assured.statistics.dropped == 1)
    }

    @Test("a packet whose TTL runs out at the router is not forwarded: no entry is confirmed")
    func ttl() {
        let model = ConntrackModel()
        var packet = udp(true)
        packet.ttl = 1
        #expect(model.feed(packet, at: 0) == .new)
        #expect(model.entries.isEmpty)
    }
}

@Suite("Sysctls and formatting")
struct SysctlAndFormatTests {
    @Test func sysctlNamesAndFiles() throws {
        var s = ConntrackSysctls()
        #expect(s.tcpTimeoutEstablished == 432_000 && s.tcpLoose == 1 && s.max == 262_144)
        try s.apply(file: "# comment\nnet.netfilter.nf_conntrack_udp_timeout = 45\n\nnf_conntrack_tcp_be_liberal=1\n", name: "f")
        #expect(s.udpTimeout == 45 && s.tcpBeLiberal == 1)
        #expect(throws: ConntrackError.self) { try s.set("net.netfilter.nf_conntrack_nothing", "1") }
        #expect(throws: ConntrackError.self) { try s.set("nf_conntrack_udp_timeout", "-1") }
        #expect(throws: ConntrackError.self) { try s.apply(file: "garbage\n", name: "f") }
    }

    @Test func extendedListFormat() throws {
        let model = ConntrackModel()
        model.feed(IPPacketBuilder(source: IPAddress("2001:db8::1")!, destination: IPAddress("2001:db8:1::10")!, transport: .echoRequest(v6: true, identifier: 17185, sequence: 1)), at: 0)
        let e = try #require(model.onlyEntry)
        #expect(
            e.conntrackListLine(now: model.now, hz: model.hz)
                == "ipv6     10 icmpv6   58 30 src=2001:db8::1 dst=2001:db8:1::10 type=128 code=0 id=17185 [UNREPLIED] src=2001:db8:1::10 dst=2001:db8::1 type=129 code=0 id=17185 mark=0 use=1")
    }
}
