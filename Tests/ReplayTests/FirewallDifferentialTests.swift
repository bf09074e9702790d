import Conntrack
import CtsimTesting
import KernelBackend
import Packets
import Replay
import SampleCaptures
import Testing

/// The example firewall over every sample capture: the simulator against BPF_PROG_TEST_RUN on
/// the live kernel (KernelReplay): same return value per packet, same globals, same table.
@Suite struct FirewallDifferentialTests {
    @Test("firewall replay equals the kernel's test runs", .needsKernel, arguments: ReplayTestFiles.samples)
    func sample(_ name: String) throws {
        try KernelRequirement.require()
        try compare(try Capture(contentsOf: ReplayTestFiles.sample(name)))
    }

    @Test("firewall replay equals the kernel's test runs on generated traffic", .needsKernel, arguments: 1...100)
    func generated(_ seed: Int) throws {
        try KernelRequirement.require()
        try compare(TrafficGenerator.capture(seed: UInt64(seed)).sample.capture)
    }

    func compare(_ capture: Capture) throws {
        let session = try ReplayTestFiles.session(ReplayTestFiles.firewall)
        let simulated = CaptureReplay.run(session, capture: capture)
        let kernel = try KernelReplay.run(objectPath: ReplayTestFiles.firewall, program: nil, capture: capture)
        #expect(kernel.verification.accepted)
        #expect(simulated.results.count == kernel.results.count)
        for (s, k) in zip(simulated.results, kernel.results) {
            #expect(s.skipped == k.skipped, "packet \(s.index)")
            #expect(s.fault == nil, "packet \(s.index)")
            #expect(s.returnValue.map { UInt32(truncatingIfNeeded: $0) } == k.returnValue, "packet \(s.index)")
        }
        let kernelGlobals = Dictionary(kernel.globals.map { ($0.name, $0.value.description) }, uniquingKeysWith: { a, _ in a })
        #expect(simulated.globals.count == kernel.globals.count)
        for g in simulated.globals { #expect(kernelGlobals[g.name] == g.value.description, "global \(g.name)") }
        // Tables: same entries by original tuple; status, mark, zone, reply equal; timeouts within
        // the capture's span plus 2 s (the kernel's clock is the wall clock of the runs).
        let span = Int64(((capture.packets.last?.timestamp.nanoseconds ?? 0) - (capture.packets.first?.timestamp.nanoseconds ?? 0)) / 1_000_000_000) + 2
        #expect(simulated.conntrack.count == kernel.conntrack.count)
        for k in kernel.conntrack {
            let s = try #require(simulated.conntrack.first { $0.original.description == k.original.description }, "entry \(k.original)")
            #expect(s.reply.description == k.reply.description)
            #expect(s.status == k.status)
            #expect(s.mark == k.mark)
            #expect(s.zone == k.zone)
            let left = s.remainingSeconds(now: simulated.now, hz: simulated.hz)
            #expect(abs(left - Int64(k.timeout)) <= span, "timeout \(left) vs \(k.timeout)")
        }
    }
}
