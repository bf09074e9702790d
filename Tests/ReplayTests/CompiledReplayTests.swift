import BPFVM
import Packets
import Replay
import SampleCaptures
import Testing

/// Every example program replayed compiled (`MachineConfiguration.jit`) and interpreted: the
/// same verdict, output bytes, kfunc calls and conntrack events per packet, the same globals,
/// table and instruction count. (The kernel differential tests run the compiled path, the
/// default; this holds the interpreter to the same answers.)
@Suite struct CompiledReplayTests {
    /// Object and program (the selftest object holds an XDP and a TC program).
    static let objects = [
        "xdp_ct_firewall", "xdp_syn_guard", "tc_ct_mark", "tc_ct_nat", "ct_selftest:nf_xdp_ct_test", "ct_selftest:nf_skb_ct_test",
    ]

    static func replay(_ object: String, _ capture: Capture, jit: Bool) throws -> (ReplayResult, compiled: Int) {
        let parts = object.split(separator: ":").map(String.init)
        let session = try ReplayTestFiles.session(ReplayTestFiles.object(parts[0]), program: parts.count > 1 ? parts[1] : nil, jit: jit)
        var options = ReplayOptions()
        options.trace = true
        options.keepOutput = true
        return (CaptureReplay.run(session, capture: capture, options: options), session.program.compiledSize)
    }

    static func expectSame(_ object: String, _ capture: Capture, _ label: String) throws {
        let (compiled, size) = try replay(object, capture, jit: true)
        let (interpreted, _) = try replay(object, capture, jit: false)
        if BPFMachine.canCompile { #expect(size > 0, "\(label): \(object) was not compiled") }
        #expect(compiled.instructions == interpreted.instructions, "\(label)")
        #expect(compiled.results.count == interpreted.results.count, "\(label)")
        for (a, b) in zip(compiled.results, interpreted.results) {
            #expect(a.returnValue == b.returnValue && a.action == b.action, "\(label) packet \(a.index)")
            #expect(a.skipped == b.skipped && a.fault == b.fault, "\(label) packet \(a.index): \(a.fault ?? "") / \(b.fault ?? "")")
            #expect(a.output == b.output, "\(label) packet \(a.index) bytes")
            #expect("\(a.kfuncCalls)" == "\(b.kfuncCalls)", "\(label) packet \(a.index) kfunc calls")
            #expect("\(a.events)" == "\(b.events)", "\(label) packet \(a.index) events")
        }
        #expect(compiled.globals.map { "\($0.name)=\($0.value)" } == interpreted.globals.map { "\($0.name)=\($0.value)" }, "\(label)")
        #expect(compiled.conntrack.map { "\($0)" } == interpreted.conntrack.map { "\($0)" }, "\(label)")
    }

    @Test("compiled replay equals the interpreter's on every sample", arguments: objects)
    func samples(_ object: String) throws {
        for sample in ReplayTestFiles.samples {
            try Self.expectSame(object, try Capture(contentsOf: ReplayTestFiles.sample(sample)), "\(object) \(sample)")
        }
    }

    @Test("compiled replay equals the interpreter's on generated traffic", arguments: 1...20)
    func generated(_ seed: Int) throws {
        let capture = TrafficGenerator.capture(seed: UInt64(seed)).sample.capture
        for object in Self.objects {
            try Self.expectSame(object, capture, "\(object) seed \(seed)")
        }
    }
}
