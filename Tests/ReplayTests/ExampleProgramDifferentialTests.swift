import CtsimTesting
import Packets
import Replay
import SampleCaptures
import Testing

/// The example programs of `bpf/` besides the firewall (which `FirewallDifferentialTests`
/// covers): each over every sample capture and over the 100 generated captures of seeds 1...100,
/// in the simulator and through BPF_PROG_TEST_RUN on the live kernel
/// (`ExampleDifferential.compare`: same return value per packet, same globals, same table with
/// timeouts within the capture's span).
@Suite struct ExampleProgramDifferentialTests {
    /// The programs, by object name (each object has one program).
    static let programs = ["xdp_syn_guard", "tc_ct_mark", "tc_ct_nat"]

    /// Every program with every sample.
    static var sampleCases: [String] { programs.flatMap { program in ReplayTestFiles.samples.map { "\(program) \($0)" } } }

    @Test("example program replay equals the kernel's test runs on a sample", .needsKernel, arguments: sampleCases)
    func sample(_ pair: String) throws {
        try KernelRequirement.require()
        let parts = pair.split(separator: " ").map(String.init)
        let capture = try Capture(contentsOf: ReplayTestFiles.sample(parts[1]))
        let compared = try ExampleDifferential.compare(objectPath: ReplayTestFiles.object(parts[0]), capture: capture, label: pair)
        #expect(compared == capture.packets.count)
    }

    /// One generated capture, shared by the three programs.
    @Test("example programs' replays equal the kernel's test runs on generated traffic", .needsKernel, arguments: 1...100)
    func generated(_ seed: Int) throws {
        try KernelRequirement.require()
        let capture = TrafficGenerator.capture(seed: UInt64(seed)).sample.capture
        for program in Self.programs {
            try ExampleDifferential.compare(objectPath: ReplayTestFiles.object(program), capture: capture, label: "\(program) seed \(seed)")
        }
    }

    /// Each program does its job on the capture made for it, in the simulator (the kernel
    /// agrees on all of it, by the tests above): the counters that show it.
    @Test("each example program's own capture exercises it", arguments: [
        ("xdp_syn_guard", "syn-flood.pcap"), ("tc_ct_mark", "multi-service.pcap"), ("tc_ct_nat", "nat-client.pcap"),
    ])
    func ownCapture(_ program: String, _ sample: String) throws {
        let session = try ReplayTestFiles.session(ReplayTestFiles.object(program))
        let result = CaptureReplay.run(session, capture: try Capture(contentsOf: ReplayTestFiles.sample(sample)))
        let globals = Dictionary(result.globals.map { ($0.name, $0.value.description) }, uniquingKeysWith: { a, _ in a })
        #expect(result.results.allSatisfy { $0.fault == nil && $0.skipped == nil })
        switch program {
        case "xdp_syn_guard":
            // 3 handshakes complete; one source over its budget twice; 12 spoofed SYNs and the
            // new client's two past the global budget; the trusted client admitted past it; one
            // refused connection reset.
            for (name, value) in [
                ("admitted", "36"), ("promoted", "3"), ("source_over_budget", "2"), ("over_budget", "14"), ("trusted_admits", "1"),
                ("resets", "1"), ("no_entry", "1"), ("kfunc_errors", "0"),
            ] {
                #expect(globals[name] == value, "\(name)")
            }
            let assured = result.conntrack.filter { $0.status.contains(.assured) }
            #expect(assured.count == 3)
            #expect(result.conntrack.count == 35)
        case "tc_ct_mark":
            #expect(globals["created"] == "8")
            #expect(globals["class_packets"] == "[12, 4, 5, 9]")
            #expect(Set(result.conntrack.map(\.mark)) == [0x10, 0x20, 0x30, 0x40])
        default:
            #expect(globals["snat"] == "4")
            #expect(globals["dnat"] == "3")
            #expect(globals["insert_errors"] == "1")
            #expect(globals["denied"] == "1")
            #expect(result.conntrack.count == 3)
            #expect(result.conntrack.allSatisfy { $0.status.contains(.sourceNAT) && $0.status.contains(.seenReply) })
            #expect(result.conntrack.filter { $0.status.contains(.destinationNAT) }.count == 2)
        }
    }
}
