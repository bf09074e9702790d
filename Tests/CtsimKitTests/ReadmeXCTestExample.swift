// The README's XCTest example, verbatim below this line (ReadmeSyncTests checks it).
import CtsimKit
import XCTest

final class FirewallXCTests: XCTestCase {
    func testPassedPacketsReachTheStacksConntrack() throws {
        let firewall = try XDPProgram(object: firewallObject(), program: "xdp_ct_firewall")
        firewall.tracksPassedPackets = true

        var traffic = Traffic()
        var web = TCPConversation(client: "[2001:db8::1]:40000", server: "[2001:db8:1::10]:443")
        var dns = UDPConversation(client: "198.51.100.1:5353", server: "192.0.2.53:53")
        traffic += web.handshake()
        traffic += dns.exchange("query", "answer")

        let results = firewall.run(traffic)
        XCTAssertEqual(results.verdicts, [.pass, .pass, .pass, .pass, .pass])

        let entry = try XCTUnwrap(firewall.conntrack[web])
        XCTAssertEqual(entry.tcpState, .established)
        XCTAssertTrue(entry.status.contains(.assured))
        XCTAssertEqual(firewall.conntrack[dns]?.mark, 1)
        XCTAssertEqual(firewall.globals.integer("passed"), 5)
    }
}
