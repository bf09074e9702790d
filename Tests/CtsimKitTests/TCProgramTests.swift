import CtsimKit
import Testing

/// A TC program through `TCProgram`: `TC_ACT_*` verdicts, `bpf_skb_ct_*` entries with their own
/// timeout and mark, globals.
@Suite("TCProgram")
struct TCProgramTests {
    @Test("a UDP gate: port 53 opens an entry, replies and repeats find it, other ports are shot, entries expire")
    func udpGate() throws {
        let gate = try TCProgram(object: try KitTestFiles.udpGate())
        #expect(gate.kind == .tc && gate.name == "tc_udp_gate")
        var traffic = Traffic()
        var dns = UDPConversation(client: "198.51.100.1:5353", server: "192.0.2.53:53")
        var other = UDPConversation(client: "198.51.100.1:5353", server: "192.0.2.53:99")
        var ping = ICMPEcho(client: IPAddress("198.51.100.1")!, server: IPAddress("192.0.2.53")!)
        traffic += dns.exchange("query", "answer")
        traffic += other.send("x")
        traffic += ping.request()
        traffic.wait(.seconds(6))
        traffic += dns.send("query again")
        let results = gate.run(traffic)
        #expect(results.verdicts == [.ok, .ok, .shot, .ok, .ok])
        #expect(results.map { $0.returnValue.map { Int64(bitPattern: $0) } } == [0, 0, 2, 0, 0])
        #expect(
            results[4].kfuncCalls.map(\.name) == [
                "bpf_skb_ct_lookup", "bpf_skb_ct_alloc", "bpf_ct_set_timeout", "bpf_ct_insert_entry", "bpf_ct_release",
            ])
        #expect(results[4].events.contains { $0.kind == .destroy })
        let entry = try #require(gate.conntrack[dns])
        #expect(entry.mark == 7)
        #expect(!entry.status.contains(.seenReply))
        #expect(gate.conntrack.remainingSeconds(entry) == 5)
        #expect(gate.conntrack.count == 1)
        #expect(gate.globals.integer("hits") == 1)
        #expect(gate.globals.integer("last_error") == -2)
    }

    @Test("TC verdict names and values")
    func verdicts() {
        #expect(TCVerdict(returnValue: UInt64(bitPattern: -1)) == .unspec)
        #expect(TCVerdict(returnValue: 2).description == "TC_ACT_SHOT")
        #expect(TCVerdict(returnValue: 77) == .unknown(77))
        #expect(TCVerdict.unspec.returnValue == UInt64(bitPattern: -1))
        for code: Int32 in -1...8 {
            let verdict = TCVerdict(returnValue: UInt64(bitPattern: Int64(code)))
            #expect(verdict.code == code)
        }
        for value: UInt64 in 0...5 {
            #expect(XDPVerdict(returnValue: value).returnValue == value)
        }
        #expect(XDPVerdict.pass.passesPacket && !XDPVerdict.tx.passesPacket)
        #expect(TCVerdict.ok.passesPacket && TCVerdict.unspec.passesPacket && !TCVerdict.redirect.passesPacket)
        #expect(XDPVerdict(returnValue: 9).description == "XDP_UNKNOWN(9)")
    }
}
