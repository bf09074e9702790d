import Foundation
import Testing

@Suite("ctsim track")
struct TrackCLITests {
    @Test("text: the final table in conntrack -L -o extended format, nothing else")
    func text() throws {
        let result = try CLI.run(["track", "Pcaps/tcp-handshake-close.pcap"])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        #expect(
            result.stdout
                == "ipv4     2 tcp      6 120 TIME_WAIT src=198.51.100.1 dst=192.0.2.10 sport=40000 dport=80 src=192.0.2.10 dst=198.51.100.1 sport=80 dport=40000 [ASSURED] mark=0 use=1\n")
    }

    @Test("every sample tracks cleanly; each line is an extended conntrack line")
    func samples() throws {
        let result = try CLI.run(["track"] + CLI.samples)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines { #expect(line.hasPrefix("ipv4     2 ") || line.hasPrefix("ipv6     10 "), "\(line)") }
    }

    @Test("--json: packets and ENTRY objects as the contract specifies")
    func json() throws {
        let result = try CLI.run(["track", "--json", "Pcaps/icmp-echo.pcap"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["packets"] as? Int == 6)
        let entries = try #require(object["conntrack"] as? [[String: Any]])
        #expect(entries.count == 2)
        let icmp = try #require(entries.first { $0["protocol"] as? String == "icmp" })
        #expect(icmp["family"] as? String == "ipv4" && icmp["protonum"] as? Int == 1)
        #expect(icmp["state"] is NSNull && icmp["mark"] as? Int == 0 && icmp["zone"] as? Int == 0)
        #expect(icmp["status"] as? [String] == ["SEEN_REPLY", "CONFIRMED"])
        let original = try #require(icmp["original"] as? [String: Any])
        #expect(original["type"] as? Int == 8 && original["code"] as? Int == 0 && original["id"] as? Int == 3054)
        #expect(original["src"] as? String == "198.51.100.1")
        let udp = try #require(entries.first { $0["protocol"] as? String == "udp" })
        #expect((udp["original"] as? [String: Any])?["dport"] as? Int == 33435)
        #expect(udp["status"] as? [String] == ["CONFIRMED"])
    }

    @Test("nf_conntrack_acct=1 adds packets= and bytes= per direction, in text and JSON; off, neither")
    func accounting() throws {
        let acct = ["--sysctl", "net.netfilter.nf_conntrack_acct=1"]
        let text = try CLI.run(["track"] + acct + ["Pcaps/udp-request-reply.pcap"])
        #expect(text.status == 0)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty)
        for line in lines {
            // Two counter pairs: after the original tuple and after the reply tuple.
            #expect(line.components(separatedBy: " packets=").count == 3, "\(line)")
            #expect(line.components(separatedBy: " bytes=").count == 3, "\(line)")
        }
        let plain = try CLI.run(["track", "Pcaps/udp-request-reply.pcap"])
        #expect(!plain.stdout.contains("packets="))
        let json = try CLI.run(["track", "--json"] + acct + ["Pcaps/udp-request-reply.pcap"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let entries = try #require(object["conntrack"] as? [[String: Any]])
        var counted = 0
        for entry in entries {
            let counters = try #require(entry["counters"] as? [String: [String: Int]])
            let original = try #require(counters["original"])
            #expect(original["packets"].map { $0 >= 1 } == true && original["bytes"].map { $0 >= 28 } == true)
            counted += (original["packets"] ?? 0) + (counters["reply"]?["packets"] ?? 0)
        }
        #expect(counted <= object["packets"] as? Int ?? 0)
        let plainJSON = try CLI.run(["track", "--json", "Pcaps/udp-request-reply.pcap"])
        #expect(!plainJSON.stdout.contains("\"counters\""))
    }

    @Test("--events prints conntrack -E lines before the table")
    func events() throws {
        let result = try CLI.run(["track", "--events", "Pcaps/tcp-rst.pcap"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("    [NEW] ipv4     2 tcp      6 120 SYN_SENT ") == true)
        #expect(lines.contains { $0.hasPrefix("[DESTROY] ipv4     2 tcp      6 119 CLOSE ") && $0.contains("dport=8080 [UNREPLIED]") })
        #expect(lines.last?.hasPrefix("ipv4     2 tcp      6 9 CLOSE ") == true)
    }

    @Test("--sysctl changes the model; bad sysctls and bad files are one line, exit 2")
    func badInput() throws {
        let strict = try CLI.run(["track", "--sysctl", "net.netfilter.nf_conntrack_tcp_timeout_time_wait=60", "Pcaps/tcp-handshake-close.pcap"])
        #expect(strict.status == 0 && strict.stdout.contains(" 60 TIME_WAIT "))
        for arguments in [
            ["track", "--sysctl", "net.netfilter.nf_conntrack_bogus=1", "Pcaps/ipv6.pcap"],
            ["track", "--sysctl", "nf_conntrack_tcp_loose", "Pcaps/ipv6.pcap"],
            ["track", "--sysctl-file", "/nonexistent/sysctl.conf", "Pcaps/ipv6.pcap"],
            ["track", "/nonexistent.pcap"],
            ["track", "Package.swift"],
            ["track"],
        ] {
            let result = try CLI.run(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix("ctsim: "), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }

    @Test("a truncated capture is exit 2 with one line; garbage frames are counted, not errors")
    func malformed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctsim-track-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sample = try Data(contentsOf: URL(fileURLWithPath: CLI.packageRoot + "/Pcaps/udp-request-reply.pcap"))
        let cut = directory.appendingPathComponent("cut.pcap")
        try sample.prefix(sample.count - 5).write(to: cut)
        let result = try CLI.run(["track", cut.path])
        #expect(result.status == 2 && result.stderrLines.count == 1 && result.stdout.isEmpty)
        // A pcap of random frames: every packet malformed or invalid, the command succeeds.
        var bytes: [UInt8] = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 1, 0, 0, 0]
        var generator = SystemRandomNumberGenerator()
        for i in 0..<200 {
            let length = Int.random(in: 0...120, using: &generator)
            let header: [UInt32] = [UInt32(i), 0, UInt32(length), UInt32(length)]
            for word in header { withUnsafeBytes(of: word.littleEndian) { bytes += $0 } }
            bytes += (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        let garbage = directory.appendingPathComponent("garbage.pcap")
        try Data(bytes).write(to: garbage)
        let json = try CLI.run(["track", "--json", garbage.path])
        #expect(json.status == 0, "\(json.stderr)")
        #expect(json.stdout.contains("\"packets\": 200"))
    }
}
