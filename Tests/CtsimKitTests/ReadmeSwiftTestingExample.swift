// The README's Swift Testing example, verbatim below this line (ReadmeSyncTests checks it).
import CtsimKit
import Testing

@Suite struct FirewallExample {
    @Test func insideMayConnectOutsideMayNot() throws {
        let firewall = try XDPProgram(object: firewallObject(), program: "xdp_ct_firewall", kernel: .v6_18)

        var traffic = Traffic()
        var web = TCPConversation(client: "198.51.100.1:40000", server: "192.0.2.10:80")
        var intruder = TCPConversation(client: "192.0.2.99:1234", server: "198.51.100.1:22")
        traffic += web.handshake()
        traffic += web.send("GET / HTTP/1.1\r\n\r\n")
        traffic += intruder.handshake()

        let results = firewall.run(traffic)
        #expect(results.verdicts == [.pass, .pass, .pass, .pass, .pass, .drop, .drop, .drop])
        #expect(results[0].kfuncCalls.map(\.name).contains("bpf_ct_insert_entry"))

        let entry = try #require(firewall.conntrack[web])
        #expect(entry.mark == 1)
        #expect(entry.status.contains(.seenReply))
        #expect(firewall.conntrack[intruder] == nil)
        #expect(firewall.globals.integer("created") == 1)
        #expect(firewall.globals.integer("denied") == 3)
    }
}
