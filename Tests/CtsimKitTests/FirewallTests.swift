import CtsimKit
import Foundation
import Testing

/// The example firewall (bpf/xdp_ct_firewall.bpf.c) over builder traffic through `XDPProgram`:
/// verdicts, the table its kfuncs leave, its globals, the kfunc trace, and the session's state
/// across runs.
@Suite("XDPProgram: the example firewall over builder traffic")
struct FirewallTests {
    /// Inside: 198.51.100.0/24 and 2001:db8::/64 (the firewall's defaults).
    struct Mix {
        var traffic = Traffic()
        var web = TCPConversation(client: "198.51.100.1:40000", server: "192.0.2.10:80")
        var web6 = TCPConversation(client: "[2001:db8::1]:40001", server: "[2001:db8:1::10]:443")
        var dns = UDPConversation(client: "198.51.100.1:5353", server: "192.0.2.53:53")
        var ping = ICMPEcho(client: IPAddress("198.51.100.1")!, server: IPAddress("192.0.2.10")!)
        /// Opened from outside: denied.
        var intruder = TCPConversation(client: "192.0.2.99:1234", server: "198.51.100.1:22")

        init() {
            traffic += web.handshake()  // 0-2
            traffic += web.send("GET / HTTP/1.1\r\n\r\n")  // 3-4
            traffic += web6.handshake()  // 5-7
            traffic += dns.exchange("query", "answer")  // 8-9
            traffic += ping.exchange()  // 10-11
            traffic += intruder.handshake()  // 12-14
            traffic += web.close()  // 15-17
        }

        static let verdicts: [XDPVerdict?] = [
            .pass, .pass, .pass, .pass, .pass, .pass, .pass, .pass, .pass, .pass, .pass, .pass, .drop, .drop, .drop,
            .pass, .pass, .pass,
        ]
    }

    static func firewall(kernel: KernelVersion = .current, constants: [String: UInt64] = [:]) throws -> XDPProgram {
        try XDPProgram(
            object: try KitTestFiles.firewall(), program: "xdp_ct_firewall", kernel: kernel, constants: constants)
    }

    @Test("verdicts, the table the kfuncs leave, and the counters")
    func verdictsTableGlobals() throws {
        let firewall = try Self.firewall()
        #expect(firewall.verification.accepted)
        #expect(firewall.verification.error == nil)
        #expect(firewall.kind == .xdp && firewall.name == "xdp_ct_firewall")
        let mix = Mix()
        let results = firewall.run(mix.traffic)
        #expect(results.verdicts == Mix.verdicts)
        #expect(results.allSatisfy { $0.fault == nil && $0.skipped == nil })
        #expect(results.map(\.index) == Array(0..<18))
        #expect(zip(results, mix.traffic.packets).allSatisfy { $0.packet == $1.data && $0.timestamp == $1.timestamp })

        let table = firewall.conntrack
        #expect(table.count == 3)
        #expect(table[mix.intruder] == nil)
        #expect(table[mix.ping] == nil)
        for flow in [mix.web.originalTuple, mix.web6.originalTuple, mix.dns.originalTuple] {
            let entry = try #require(table.entry(for: flow), "no entry for \(flow)")
            #expect(entry.original == flow)
            #expect(entry.mark == 1)
            // The kfuncs create the entry and mark the reply; they drive no TCP state machine.
            #expect(entry.status.isSuperset(of: [.confirmed, .seenReply]))
            #expect(!entry.status.contains(.assured))
        }
        #expect(table[mix.web]?.tcpState == TCPConntrackState.none)
        // Timeouts: 120 s for TCP and 30 s for UDP from the packet that created the entry.
        let now = mix.traffic.packets.last!.timestamp
        func remaining(_ seconds: Int64, createdBy packet: Int) -> Int64 {
            let created = mix.traffic.packets[packet].timestamp.nanoseconds / 4_000_000
            return (seconds * 250 - (now.nanoseconds / 4_000_000 - created)) / 250
        }
        #expect(table.remainingSeconds(try #require(table[mix.web])) == remaining(120, createdBy: 0))
        #expect(table.remainingSeconds(try #require(table[mix.dns])) == remaining(30, createdBy: 8))

        let globals = firewall.globals
        #expect(globals.integer("packets") == 18)
        #expect(globals.integer("passed") == 15)
        #expect(globals.integer("dropped") == 3)
        #expect(globals.integer("created") == 3)
        #expect(globals.integer("denied") == 3)
        #expect(globals.integer("untracked") == 2)
        // Hits from the client: ACK, request, ACK (v6), FIN-ACK, last ACK; from the server:
        // SYN-ACK, ACK, SYN-ACK (v6), answer, FIN-ACK.
        #expect(globals.integer("found") == 5)
        #expect(globals.integer("found_reply") == 5)
        #expect(globals.integer("last_error") == -2)
        #expect(globals.bytes("last_error") == [0xFE, 0xFF, 0xFF, 0xFF])
        #expect(globals["new_ct_mark"]?.section == ".rodata")
        #expect(globals["passed"]?.section == ".bss")
        #expect(
            globals["inside_v6_net"]?.value
                == .array([.unsigned(0x2001_0db8), .unsigned(0), .unsigned(0), .unsigned(0)]))
        #expect(globals["no_such_global"] == nil)
    }

    @Test("each packet's kfunc calls and conntrack events")
    func trace() throws {
        let firewall = try Self.firewall()
        var traffic = Traffic()
        var dns = UDPConversation(client: "198.51.100.1:5353", server: "192.0.2.53:53")
        traffic += dns.exchange("query", "answer")
        let results = firewall.run(traffic)
        #expect(
            results[0].kfuncCalls.map(\.name) == [
                "bpf_xdp_ct_lookup", "bpf_xdp_ct_alloc", "bpf_ct_set_timeout", "bpf_ct_set_status",
                "bpf_ct_insert_entry", "bpf_ct_release",
            ])
        #expect(results[0].kfuncCalls[0].errno == -2)
        #expect(results[0].kfuncCalls[0].arguments.contains("198.51.100.1:5353 -> 192.0.2.53:53"))
        #expect(results[0].kfuncCalls[2].description == "bpf_ct_set_timeout(nfct, 30000) = void")
        #expect(results[1].kfuncCalls.map(\.name) == ["bpf_xdp_ct_lookup", "bpf_ct_change_status", "bpf_ct_release"])
        #expect(results[1].kfuncCalls[0].result == "nf_conn")
        #expect(results.allSatisfy { $0.instructions > 20 })

        let quiet = try Self.firewall()
        quiet.tracing = false
        let untraced = quiet.run(traffic)
        #expect(untraced.allSatisfy { $0.kfuncCalls.isEmpty && $0.events.isEmpty })
        #expect(untraced.verdicts == results.verdicts)
    }

    @Test("the session keeps its table, maps and globals between runs")
    func stateAcrossRuns() throws {
        let firewall = try Self.firewall()
        var traffic = Traffic()
        var web = TCPConversation(client: "198.51.100.1:40000", server: "192.0.2.10:80")
        traffic += web.handshake()
        let first = firewall.run(traffic)
        #expect(first.verdicts == [.pass, .pass, .pass])
        // A later packet, run on its own: the entry from the first run lets it through.
        traffic += web.send("more", acknowledged: false)
        let single = firewall.run(traffic.packets[3])
        #expect(single.verdict == .pass)
        #expect(single.index == 3)
        #expect(single.kfuncCalls.map(\.name) == ["bpf_xdp_ct_lookup", "bpf_ct_release"])
        #expect(firewall.packetsRun == 4)
        #expect(firewall.globals.integer("created") == 1)
        #expect(firewall.globals.integer("found") == 2)
        // A fresh session has none of it: the same packet is denied.
        let fresh = try Self.firewall()
        #expect(fresh.run(frame: traffic.packets[3].data, at: traffic.packets[3].timestamp).verdict == .drop)
    }

    @Test("entries expire on the packets' clock")
    func expiry() throws {
        let firewall = try Self.firewall()
        var traffic = Traffic()
        var dns = UDPConversation(client: "198.51.100.1:5353", server: "192.0.2.53:53")
        traffic += dns.send("query")
        traffic.wait(.seconds(31))
        traffic += dns.send("late answer", from: .server)
        let results = firewall.run(traffic)
        #expect(results.verdicts == [.pass, .drop])
        #expect(results[1].events.contains { $0.kind == .destroy })
        #expect(firewall.conntrack.isEmpty)
    }

    @Test("passed packets can continue into the stack's conntrack (tracksPassedPackets)")
    func tracksPassedPackets() throws {
        let firewall = try Self.firewall()
        firewall.tracksPassedPackets = true
        let mix = Mix()
        #expect(firewall.run(mix.traffic).verdicts == Mix.verdicts)
        let table = firewall.conntrack
        #expect(table[mix.web]?.tcpState == .timeWait)
        #expect(table[mix.web]?.status.contains(.assured) == true)
        #expect(table[mix.web]?.mark == 1)
        #expect(table[mix.web6]?.tcpState == .established)
        #expect(table[mix.ping] != nil)
        #expect(table[mix.intruder] == nil)
    }

    @Test("constants set .rodata before load: another mark, and a policy open to everyone")
    func constants() throws {
        let firewall = try Self.firewall(constants: ["new_ct_mark": 42, "inside_v4_prefix_len": 0])
        #expect(firewall.globals.integer("new_ct_mark") == 42)
        let mix = Mix()
        let verdicts = firewall.run(mix.traffic).verdicts
        #expect(verdicts[12...14].allSatisfy { $0 == .pass })
        #expect(firewall.conntrack[mix.intruder]?.mark == 42)
        #expect(firewall.conntrack[mix.web]?.mark == 42)
    }

    @Test("the same program over the same traffic written to a pcap, and over a sample capture")
    func captureFiles() throws {
        let mix = Mix()
        let path = KitTestFiles.temporaryPath("mix.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try mix.traffic.write(to: path)
        let fromFile = try Self.firewall().run(captureFile: path)
        #expect(fromFile.verdicts == Mix.verdicts)
        #expect(fromFile.map(\.timestamp) == mix.traffic.packets.map(\.timestamp))

        let sample = try Self.firewall().run(captureFile: KitTestFiles.root + "/Pcaps/linux-sll.pcap")
        #expect(!sample.isEmpty)
        #expect(sample.allSatisfy { ($0.verdict != nil) != ($0.skipped != nil) })
        #expect(throws: CtsimKitError.self) { try Self.firewall().run(captureFile: "/nonexistent.pcap") }
    }

    @Test("maps: the .bss map read and written from the test", arguments: [false, true])
    func maps(reset: Bool) throws {
        let firewall = try Self.firewall()
        firewall.run(Mix().traffic)
        let bssName = try #require(firewall.mapNames.first { $0.hasSuffix(".bss") })
        let bss = try #require(firewall.map(named: bssName))
        #expect(bss.keySize == 4 && bss.maxEntries == 1)
        let value = try #require(bss.lookup(key: UInt32(0)))
        #expect(value.count == bss.valueSize)
        #expect(firewall.map(named: "no_such_map") == nil)
        if reset {
            try bss.update(key: UInt32(0), value: [UInt8](repeating: 0, count: bss.valueSize))
            #expect(firewall.globals.integer("packets") == 0)
            #expect(throws: CtsimKitError.self) { try bss.update(key: [0, 0, 0, 0], value: [1]) }
        } else {
            #expect(firewall.globals.integer("packets") == 18)
        }
    }

    @Test(
        "every kernel profile: 16-byte bpf_ct_opts work from 6.11 on; before, every lookup is -EINVAL",
        arguments: KernelVersion.all)
    func kernels(_ kernel: KernelVersion) throws {
        #expect(try XDPProgram.verify(object: try KitTestFiles.firewall(), kernel: kernel).accepted)
        let firewall = try Self.firewall(kernel: kernel)
        let results = firewall.run(Mix().traffic)
        if [KernelVersion.v6_11, .v6_18].contains(kernel) {
            #expect(results.verdicts == Mix.verdicts)
            #expect(firewall.conntrack.count == 3)
        } else {
            // The firewall passes the 6.11 opts size (16); older kernels want 12 and say -EINVAL.
            let icmp = Set([10, 11])
            #expect(results.verdicts == Mix.verdicts.indices.map { icmp.contains($0) ? .pass : .drop })
            #expect(results[0].kfuncCalls.map(\.errno) == [-22])
            #expect(firewall.globals.integer("lookup_errors") == 16)
            #expect(firewall.conntrack.isEmpty)
        }
        #expect(
            kernel.description
                == ["6.0", "6.1", "6.3", "6.6", "6.11", "6.18"][KernelVersion.all.firstIndex(of: kernel)!])
        #expect(KernelVersion("6.5") == .v6_3)
        #expect(KernelVersion("5.15") == nil)
    }
}
