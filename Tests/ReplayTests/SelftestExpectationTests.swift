import CtsimTesting
import Foundation
import KernelBackend
import Packets
import Replay
import Testing

/// bpf/ct_selftest.bpf.c (the expectations of the kernel's test_bpf_nf.c, kernel-facts §2.2,
/// without the live-connection lookups) on the simulator and, where available, on the kernel.
@Suite struct SelftestExpectationTests {
    /// The selftests' pkt_v4: Ethernet/IPv4 (ihl 5, protocol TCP, tot_len 123)/TCP (doff 5, urg_ptr 123).
    static var packet: [UInt8] {
        var p = [UInt8](repeating: 0, count: 54)
        p[12] = 0x08
        p[14] = 0x05
        p[16] = 0
        p[17] = 123
        p[23] = 6
        p[46] = 0x50
        p[53] = 123
        return p
    }

    static let expected: [String: Int64] = [
        "test_einval_reserved": -22, "test_einval_reserved_new": -22, "test_einval_netns_id": -22,
        "test_einval_len_opts": -22, "test_eproto_l4proto": -71, "test_enonet_netns_id": -64, "test_enoent_lookup": -2,
        "test_eafnosupport": -97, "test_alloc_entry": 0, "test_insert_entry": 0, "test_succ_lookup": 0, "test_snat_addr": 0,
        "test_dnat_addr": 0, "test_insert_lookup_mark": 77, "test_status": 0x1BA, "test_ct_zone_id_alloc_entry": 0,
        "test_ct_zone_id_insert_entry": 0, "test_ct_zone_id_succ_lookup": 0, "test_ct_zone_dir_enoent_lookup": -2,
        "test_ct_zone_id_enoent_lookup": -2,
    ]

    static func capture() throws -> Capture {
        let path = NSTemporaryDirectory() + "ctsim-selftest-\(getpid())-\(UUID().uuidString).pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try CaptureWriter(path: path, linkType: .ethernet)
        try writer.write(packet, timestamp: Timestamp(seconds: 1_000))
        try writer.close()
        return try Capture(contentsOf: path)
    }

    func check(_ globals: [String: Int64], delta: Int64?) {
        for (name, value) in Self.expected { #expect(globals[name] == value, "\(name)") }
        let d = delta ?? 0
        #expect(d > 8 && d <= 10, "test_delta_timeout \(d)")
    }

    @Test(arguments: ["nf_xdp_ct_test", "nf_skb_ct_test"]) func simulator(_ program: String) throws {
        let session = try ReplayTestFiles.session(ReplayTestFiles.object("ct_selftest"), program: program)
        let result = CaptureReplay.run(session, capture: try Self.capture())
        #expect(result.results.first?.fault == nil, "\(result.results.first?.fault ?? "")")
        #expect(result.results.first?.returnValue == (program == "nf_xdp_ct_test" ? 2 : 0))
        let globals = Dictionary(result.globals.compactMap { g in g.value.integer.map { (g.name, $0) } }, uniquingKeysWith: { a, _ in a })
        check(globals, delta: globals["test_delta_timeout"])
        // Two entries: the NATed one (mark 77, status after change_status) and the zone-10 one.
        #expect(result.conntrack.count == 2)
        let nat = try #require(result.conntrack.first { $0.original.sourcePort == 1111 })
        #expect(nat.mark == 77)
        #expect(nat.status.rawValue == 0x1BA)
        #expect(nat.reply.description == "src=192.168.0.2 dst=192.168.0.1 sport=5555 dport=4444")
    }

    @Test(.needsKernel, arguments: ["nf_xdp_ct_test", "nf_skb_ct_test"]) func kernel(_ program: String) throws {
        try KernelRequirement.require()
        let capture = try Self.capture()
        let kernel = try KernelReplay.run(objectPath: ReplayTestFiles.object("ct_selftest"), program: program, capture: capture)
        #expect(kernel.verification.accepted)
        let globals = Dictionary(kernel.globals.compactMap { g in g.value.integer.map { (g.name, $0) } }, uniquingKeysWith: { a, _ in a })
        check(globals, delta: globals["test_delta_timeout"])
        // The simulator gives the same globals (delta aside, which depends on the clocks).
        let session = try ReplayTestFiles.session(ReplayTestFiles.object("ct_selftest"), program: program)
        let simulated = CaptureReplay.run(session, capture: capture)
        for g in simulated.globals where g.name != "test_delta_timeout" {
            #expect(kernel.globals.first { $0.name == g.name }?.value.description == g.value.description, "\(g.name)")
        }
        #expect(kernel.conntrack.count == simulated.conntrack.count)
        for k in kernel.conntrack {
            let s = try #require(simulated.conntrack.first { $0.original.description == k.original.description })
            #expect(s.status == k.status && s.mark == k.mark && s.reply.description == k.reply.description)
        }
    }
}
