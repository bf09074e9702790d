import Foundation
import Regression
import Testing

/// The project's own suite (Suites/examples.yaml) against its recorded golden files: the example
/// programs still do on the sample captures what they did when the goldens were recorded.
@Suite struct ExampleSuiteTests {
    @Test func theExamplesSuiteChecksClean() throws {
        try RegressionFiles.requireObjects()
        let suite = try RegressionSuite.load(path: RegressionFiles.examplesSuite)
        #expect(suite.cases.count >= 15)
        #expect(
            Set(suite.cases.map(\.objectName)).isSuperset(of: [
                "../bpf/build/xdp_ct_firewall.bpf.o", "../bpf/build/ct_selftest.bpf.o",
            ]))
        let outcomes = try SuiteRunner.run(suite, cases: suite.cases, mode: .check, jobs: 2)
        for outcome in outcomes {
            #expect(
                outcome.status == .same,
                "\(outcome.regressionCase.name): \(outcome.status)\n\(outcome.differences.joined(separator: "\n"))")
        }
        // Every golden file belongs to a case (none left behind by a renamed case).
        let files = try FileManager.default.contentsOfDirectory(atPath: suite.goldenDirectory).filter {
            $0.hasSuffix(".json")
        }
        #expect(Set(files) == Set(suite.cases.map { $0.name + ".json" }))
    }

    /// The selftest cases hold the kernel selftests' expectations (test_bpf_nf.c), so the goldens
    /// are not just whatever the simulator said once.
    @Test func theSelftestGoldensHoldTheKernelsExpectations() throws {
        let suite = try RegressionSuite.load(path: RegressionFiles.examplesSuite)
        for name in ["selftest-xdp", "selftest-tc"] {
            let c = try #require(suite.cases.first { $0.name == name })
            let golden = try CaseResult.decode(
                try String(contentsOfFile: suite.goldenPath(for: c), encoding: .utf8), path: name, suite: suite.path,
                caseName: name)
            #expect(golden.verifier.accepted)
            #expect(golden.globals["test_enoent_lookup"] == .int(-2))
            #expect(golden.globals["test_eafnosupport"] == .int(-97))
            #expect(golden.globals["test_insert_lookup_mark"] == .int(77))
            #expect(golden.globals["test_status"] == .int(0x1BA))
        }
    }
}
