import Foundation
import Testing

/// `ctsim table --live` against a namespace the test fills with `conntrack -I`.
@Suite("ctsim table --live")
struct TableTests {
    /// Entries created in the namespace, as `conntrack -I` arguments.
    static let entries: [[String]] = [
        ["-p", "tcp", "-s", "198.51.100.1", "-d", "192.0.2.10", "--sport", "40000", "--dport", "80", "--state", "ESTABLISHED",
         "-t", "3000", "-u", "SEEN_REPLY,ASSURED", "-m", "7"],
        ["-p", "udp", "-s", "2001:db8::1", "-d", "2001:db8:1::10", "--sport", "5353", "--dport", "53", "-t", "300"],
        ["-p", "icmp", "-s", "198.51.100.1", "-d", "192.0.2.10", "--icmp-type", "8", "--icmp-code", "0", "--icmp-id", "77", "-t", "300"],
    ]

    static func populate(_ namespace: String) throws {
        for entry in entries { try LiveKernel.tool(["ip", "netns", "exec", namespace, "conntrack", "-I"] + entry) }
    }

    /// A line without its timeout (the third field after the layer-3 prefix) and the timeout.
    static func split(_ line: Substring) -> (String, Int) {
        var fields = line.split(separator: " ").map(String.init)
        let timeout = Int(fields[4]) ?? -1
        fields[4] = "T"
        return (fields.joined(separator: " "), timeout)
    }

    @Test("text: the lines of 'conntrack -L -o extended', JSON: the contract's ENTRY", .enabled(if: LiveKernel.available))
    func liveTable() throws {
        try LiveKernel.withNamespace { namespace in
            try Self.populate(namespace)
            let reference = try LiveKernel.tool(["ip", "netns", "exec", namespace, "conntrack", "-L", "-o", "extended"])
            let text = try CLI.run(["table", "--live", "--netns", namespace])
            #expect(text.status == 0, "\(text.stderr)")
            let ours = text.stdout.split(separator: "\n").map(Self.split).sorted { $0.0 < $1.0 }
            let theirs = reference.split(separator: "\n").map(Self.split).sorted { $0.0 < $1.0 }
            #expect(ours.count == 3)
            #expect(ours.map(\.0) == theirs.map(\.0))
            for (a, b) in zip(ours, theirs) { #expect(abs(a.1 - b.1) <= 2) }

            let json = try CLI.run(["table", "--live", "--json", "--netns", namespace])
            #expect(json.status == 0)
            let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            let list = try #require(document?["conntrack"] as? [[String: Any]])
            #expect(document?["entries"] as? Int == 3)
            let tcp = try #require(list.first { $0["protocol"] as? String == "tcp" })
            #expect(tcp["family"] as? String == "ipv4")
            #expect(tcp["protonum"] as? Int == 6)
            #expect(tcp["state"] as? String == "ESTABLISHED")
            #expect(tcp["mark"] as? Int == 7)
            #expect(tcp["zone"] as? Int == 0)
            #expect(Set(tcp["status"] as? [String] ?? []) == ["SEEN_REPLY", "ASSURED", "CONFIRMED"])
            #expect((tcp["timeout"] as? Int).map { $0 > 2990 && $0 <= 3000 } == true)
            let original = try #require(tcp["original"] as? [String: Any])
            #expect(original["src"] as? String == "198.51.100.1")
            #expect(original["dport"] as? Int == 80)
            let reply = try #require(tcp["reply"] as? [String: Any])
            #expect(reply["src"] as? String == "192.0.2.10" && reply["sport"] as? Int == 80)
            let udp = try #require(list.first { $0["protocol"] as? String == "udp" })
            #expect(udp["family"] as? String == "ipv6")
            #expect(udp["state"] is NSNull)
            #expect((udp["original"] as? [String: Any])?["src"] as? String == "2001:db8::1")
            let icmp = try #require(list.first { $0["protocol"] as? String == "icmp" })
            let icmpOriginal = try #require(icmp["original"] as? [String: Any])
            #expect(icmpOriginal["type"] as? Int == 8 && icmpOriginal["id"] as? Int == 77 && icmpOriginal["sport"] == nil)
            #expect((icmp["reply"] as? [String: Any])?["type"] as? Int == 0)
        }
    }

    @Test("the host's own table is read, not written", .enabled(if: LiveKernel.available))
    func hostTable() throws {
        let before = try LiveKernel.tool(["conntrack", "-C"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try CLI.run(["table", "--live", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(document?["conntrack"] is [Any])
        // The count is the host's (which other traffic may change a little, but never by us).
        let count = document?["entries"] as? Int ?? -1
        #expect(count >= 0 && abs(count - (Int(before) ?? -100)) <= 50)
    }

    @Test("without --live, or with an unknown namespace: exit 2 and one line")
    func badInvocations() throws {
        let bare = try CLI.run(["table"])
        #expect(bare.status == 2)
        #expect(bare.stderrLines.count == 1)
        if LiveKernel.available {
            let missing = try CLI.run(["table", "--live", "--netns", "ctsim-no-such-namespace"])
            #expect(missing.status == 2)
            #expect(missing.stderrLines.count == 1)
            #expect(missing.stderr.contains("ctsim-no-such-namespace"))
        }
    }
}
