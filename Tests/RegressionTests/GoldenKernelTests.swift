import CtsimTesting
import Foundation
import KernelBackend
import Packets
import Regression
import Testing

/// The committed golden files of Suites/examples.yaml against the live kernel: for each firewall
/// case on one capture with the 6.18 profile (the kernel here), BPF_PROG_TEST_RUN per packet in a
/// fresh namespace must give the golden's return values, globals and table. So the goldens are
/// the kernel's answers, not only what the simulator once said. (Timeouts within the capture's
/// span plus 2 s: the kernel's clock is the wall clock of the runs, the golden's the capture's.)
@Suite struct GoldenKernelTests {
    static var cases: [String] {
        guard let suite = try? RegressionSuite.load(path: RegressionFiles.examplesSuite) else { return [] }
        return suite.cases.filter {
            $0.objectName.hasSuffix("xdp_ct_firewall.bpf.o") && $0.kernel.version == "6.18"
                && $0.capturePaths.count == 1
                && $0.options == CaseOptions() && $0.sysctls.isEmpty
        }.map(\.name)
    }

    @Test(.needsKernel, arguments: cases) func goldenEqualsTheKernel(_ name: String) throws {
        try KernelRequirement.require()
        let suite = try RegressionSuite.load(path: RegressionFiles.examplesSuite)
        let c = try #require(suite.cases.first { $0.name == name })
        let golden = try CaseResult.decode(
            try String(contentsOfFile: suite.goldenPath(for: c), encoding: .utf8), path: name, suite: suite.path,
            caseName: name)
        let capture = try Capture(contentsOf: c.capturePaths[0])
        let kernel = try KernelReplay.run(objectPath: c.objectPath, program: c.program, capture: capture)

        #expect(kernel.verification.accepted == golden.verifier.accepted)
        #expect(golden.packets.count == kernel.results.count)
        for (g, k) in zip(golden.packets, kernel.results) {
            #expect(
                g.skipped == nil && k.skipped == nil || g.skipped != nil && k.skipped != nil,
                "\(name) packet \(g.index)")
            #expect(
                g.retval.map { UInt32(truncatingIfNeeded: $0) } == k.returnValue,
                "\(name) packet \(g.index): \(g.action ?? "-") vs \(k.action ?? "-")")
        }
        #expect(golden.globals.count == kernel.globals.count)
        for global in kernel.globals {
            #expect(golden.globals[global.name] == Self.value(global.value), "\(name) global \(global.name)")
        }
        let span =
            Int64(
                ((capture.packets.last?.timestamp.nanoseconds ?? 0)
                    - (capture.packets.first?.timestamp.nanoseconds ?? 0)) / 1_000_000_000) + 2
        #expect(golden.conntrack.count == kernel.conntrack.count, "\(name): table sizes")
        for k in kernel.conntrack {
            guard let g = golden.conntrack.first(where: { $0.original.description == k.original.description }) else {
                Issue.record("\(name): the kernel's entry \(k.original) is not in the golden table")
                continue
            }
            #expect(g.reply.description == k.reply.description, "\(name) \(k.original)")
            #expect(g.status.sorted() == k.status.names.sorted(), "\(name) \(k.original)")
            #expect(g.mark == k.mark && g.zone == k.zone, "\(name) \(k.original)")
            #expect(
                abs(g.timeout - Int64(k.timeout)) <= span, "\(name) \(k.original): timeout \(g.timeout) vs \(k.timeout)"
            )
        }
    }

    static func value(_ v: KernelGlobalValue) -> CaseResult.Value? {
        switch v {
        case .signed(let x): .int(x)
        case .unsigned(let x): .unsigned(x)
        case .array(let items): .list(items.compactMap(value))
        case .fields(let fields):
            .fields(Dictionary(fields.map { ($0.name, value($0.value) ?? .int(0)) }, uniquingKeysWith: { a, _ in a }))
        case .bytes: nil
        }
    }
}
