import Foundation
import Testing

/// `ctsim replay`, `ctsim run`, `ctsim kfuncs` through the executable.
@Suite struct ReplayCLITests {
    static let firewall = "bpf/build/xdp_ct_firewall.bpf.o"

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func replayJSONShape() throws {
        let r = try CLI.run(["replay", Self.firewall, "Pcaps/tcp-handshake-close.pcap", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try json(r.stdout)
        #expect(o["program"] as? String == "xdp_ct_firewall")
        #expect(o["type"] as? String == "xdp")
        let results = try #require(o["results"] as? [[String: Any]])
        #expect(results.count == o["packets"] as? Int)
        #expect(results.first?["action"] as? String == "XDP_PASS")
        #expect(results.first?["retval"] as? Int == 2)
        let counts = try #require(o["counts"] as? [String: Int])
        #expect(counts.values.reduce(0, +) == results.count)
        let globals = try #require(o["globals"] as? [String: Any])
        #expect(globals["packets"] as? Int == results.count)
        #expect((globals["inside_v6_net"] as? [Any])?.count == 4)
        let table = try #require(o["conntrack"] as? [[String: Any]])
        #expect(table.count == 1)
        #expect(table.first?["protocol"] as? String == "tcp")
        #expect((table.first?["status"] as? [String])?.contains("CONFIRMED") == true)
        #expect(table.first?["mark"] as? Int == 1)
    }

    @Test func replayTraceAndOutDir() throws {
        let dir = NSTemporaryDirectory() + "ctsim-replay-\(getpid())-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLI.run(["replay", Self.firewall, "Pcaps/tcp-handshake-close.pcap", "--trace", "--out-dir", dir])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("bpf_xdp_ct_lookup(ctx, 198.51.100.1:40000 -> 192.0.2.10:80, 12, opts, 16) = NULL (error -2)") || r.stdout.contains("= NULL (error 2)"))
        #expect(r.stdout.contains("bpf_ct_insert_entry(nfct_i) = nf_conn"))
        #expect(FileManager.default.fileExists(atPath: dir + "/pass.pcap"))
    }

    @Test func trackLetsPassedPacketsIntoNativeConntrack() throws {
        func protocols(_ extra: [String]) throws -> [String] {
            let r = try CLI.run(["replay", Self.firewall, "Pcaps/icmp-echo.pcap", "--json"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            let table = try #require(try json(r.stdout)["conntrack"] as? [[String: Any]])
            return table.compactMap { $0["protocol"] as? String }.sorted()
        }
        // The firewall tracks UDP/TCP through the kfuncs only; ICMP gets an entry from native tracking.
        #expect(try protocols([]) == ["udp"])
        #expect(try protocols(["--track"]) == ["icmp", "udp"])
    }

    @Test func badInput() throws {
        let missing = try CLI.run(["replay", "/nonexistent.o", "Pcaps/icmp-echo.pcap"])
        #expect(missing.status == 2)
        #expect(missing.stderrLines.count == 1)
        let notPcap = try CLI.run(["replay", Self.firewall, Self.firewall])
        #expect(notPcap.status == 2)
        let badProgram = try CLI.run(["replay", Self.firewall, "Pcaps/icmp-echo.pcap", "--program", "nope"])
        #expect(badProgram.status == 2)
        #expect(badProgram.stderr.contains("no program named nope"))
        let badKernel = try CLI.run(["kfuncs", "--kernel", "5.4"])
        #expect(badKernel.status == 2)
    }

    @Test func runOnePacket() throws {
        let capture = NSTemporaryDirectory() + "ctsim-run-\(getpid())-\(UUID().uuidString).bin"
        defer { try? FileManager.default.removeItem(atPath: capture) }
        // An Ethernet frame with an ARP EtherType: the firewall passes non-IP traffic.
        var frame = [UInt8](repeating: 0, count: 60)
        frame[12] = 0x08
        frame[13] = 0x06
        #expect(FileManager.default.createFile(atPath: capture, contents: Data(frame)))
        let r = try CLI.run(["run", Self.firewall, "--data-in", capture, "--repeat", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Return value: 2, action XDP_PASS"))
        #expect(r.stdout.contains("Duration (average): "))
    }

    @Test func kfuncsListing() throws {
        let r = try CLI.run(["kfuncs", "--type", "tc"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("struct nf_conn___init *bpf_skb_ct_alloc(struct __sk_buff *skb_ctx, struct bpf_sock_tuple *bpf_tuple, u32 tuple__sz, struct bpf_ct_opts *opts, u32 opts__sz)"))
        #expect(r.stdout.contains("flags KF_ACQUIRE | KF_RELEASE | KF_RET_NULL"))
        let old = try CLI.run(["kfuncs", "--kernel", "6.0", "--json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(old.stdout.utf8)) as? [[String: Any]])
        #expect(list.count == 10)
        #expect(!list.contains { $0["name"] as? String == "bpf_ct_set_nat_info" })
    }
}
