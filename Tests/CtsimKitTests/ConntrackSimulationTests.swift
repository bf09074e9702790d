import CtsimKit
import Testing

/// Builder traffic through the conntrack model (`ConntrackSimulation`, what `ctsim track` does).
@Suite("Builder traffic through the conntrack model")
struct ConntrackSimulationTests {
    static let pairs: [(client: Endpoint, server: Endpoint)] = [
        ("198.51.100.1:40000", "192.0.2.10:80"), ("[2001:db8::1]:40000", "[2001:db8:1::10]:80"),
    ]

    @Test("a handshake gives ESTABLISHED and ASSURED with the established timeout", arguments: 0..<2)
    func handshake(_ pair: Int) throws {
        let (client, server) = Self.pairs[pair]
        var traffic = Traffic()
        var web = TCPConversation(client: client, server: server)
        traffic += web.handshake()
        let conntrack = try ConntrackSimulation()
        #expect(conntrack.track(traffic) == [.new, .reply, .established])
        let entry = try #require(conntrack.table[web])
        #expect(entry.tcpState == .established)
        #expect(entry.status.isSuperset(of: [.seenReply, .assured, .confirmed]))
        #expect(entry.original == web.originalTuple)
        #expect(entry.reply == web.originalTuple.swapped)
        #expect(conntrack.table.remainingSeconds(entry) == 432_000)
        #expect(conntrack.table.count == 1)
        #expect(conntrack.events.map(\.kind) == [.new, .update, .update])
    }

    @Test("data both ways then a close gives TIME_WAIT (120 s)", arguments: 0..<2)
    func close(_ pair: Int) throws {
        let (client, server) = Self.pairs[pair]
        var traffic = Traffic()
        var web = TCPConversation(client: client, server: server)
        web.timestamps = true
        traffic += web.handshake()
        traffic += web.send("request")
        traffic += web.send(Array(repeating: 7, count: 1400), from: .server)
        traffic += web.close()
        let conntrack = try ConntrackSimulation()
        let verdicts = conntrack.track(traffic)
        #expect(!verdicts.contains(.invalid))
        let entry = try #require(conntrack.table[web])
        #expect(entry.tcpState == .timeWait)
        #expect(entry.status.contains(.assured))
        #expect(conntrack.table.remainingSeconds(entry) == 120)
        #expect(conntrack.statistics.invalid == 0)
    }

    @Test("a segment far outside the window is INVALID and leaves the state alone")
    func outOfWindow() throws {
        var traffic = Traffic()
        var web = TCPConversation(client: "198.51.100.1:40000", server: "192.0.2.10:80")
        traffic += web.handshake()
        traffic += web.segment(
            from: .client, flags: [.psh, .ack], payload: [1, 2, 3], sequence: web.clientNext &+ 0x4000_0000)
        let conntrack = try ConntrackSimulation()
        #expect(conntrack.track(traffic).last == .invalid)
        #expect(conntrack.table[web]?.tcpState == .established)
    }

    @Test("UDP: unreplied, replied, sysctl timeouts, expiry on the traffic's clock")
    func udp() throws {
        var traffic = Traffic()
        var answered = UDPConversation(client: "198.51.100.1:5353", server: "192.0.2.53:53")
        var unanswered = UDPConversation(client: "198.51.100.1:6000", server: "192.0.2.53:9")
        var early = UDPConversation(client: "198.51.100.1:7000", server: "192.0.2.53:7")
        traffic += early.send("gone before the end")
        traffic.wait(.seconds(12))
        traffic += answered.exchange("q", "a")
        traffic += unanswered.send("hello?")
        let conntrack = try ConntrackSimulation(sysctls: ["net.netfilter.nf_conntrack_udp_timeout": "10"])
        conntrack.track(traffic)
        let table = conntrack.table
        #expect(table.count == 2)
        #expect(table[early] == nil)
        let replied = try #require(table[answered])
        #expect(replied.status.contains(.seenReply))
        #expect(!replied.status.contains(.assured))
        #expect(try #require(table[unanswered]).status.contains(.seenReply) == false)
        #expect(table.remainingSeconds(replied) == 10)
        #expect(conntrack.events.contains { $0.kind == .destroy && $0.entry.original == early.originalTuple })
        #expect(table.lines.count == 2)
        #expect(table.lines[1].contains("[UNREPLIED]"))
    }

    @Test("ICMP echo is tracked by its identifier")
    func echo() throws {
        var traffic = Traffic()
        var ping = ICMPEcho(client: IPAddress("2001:db8::1")!, server: IPAddress("2001:db8:1::10")!, identifier: 99)
        traffic += ping.exchange()
        let conntrack = try ConntrackSimulation()
        #expect(conntrack.track(traffic) == [.new, .reply])
        let entry = try #require(conntrack.table[ping])
        #expect(entry.original.icmpID == 99)
        #expect(entry.status.contains(.seenReply))
    }

    @Test("an unknown sysctl or a bad value is a bad setting")
    func badSysctl() {
        #expect(throws: CtsimKitError.self) {
            try ConntrackSimulation(sysctls: ["net.netfilter.nf_conntrack_nonsense": "1"])
        }
        do {
            _ = try ConntrackSimulation(sysctls: ["net.netfilter.nf_conntrack_udp_timeout": "soon"])
            Issue.record("a bad value was accepted")
        } catch {
            #expect(error.kind == .badSetting)
            #expect(error.message.contains("nf_conntrack_udp_timeout"))
        }
    }
}
