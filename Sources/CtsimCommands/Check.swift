import ArgumentParser
import Foundation
import Regression

/// `ctsim check SUITE`: re-run a regression suite and compare every case with its golden file.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Re-run a regression suite and print what changed against the golden results.",
        discussion: """
            Each case runs as `ctsim record` ran it and is compared with its golden file: which \
            packet's verdict changed (old -> new), which conntrack entry appeared, vanished or \
            changed which field (by original tuple), which global changed, whether the trace's \
            digest changed. Results print in suite order whatever --jobs is. Exit 0 when every \
            case is the same, 1 when any changed or has no golden file, 2 bad input. --update \
            rewrites the golden files of changed and missing cases (exit 0).
            """
    )

    @Argument(help: ArgumentHelp("The suite file (YAML).", valueName: "SUITE")) var suite: String
    @OptionGroup var selection: SuiteSelection
    @Flag(help: "Accept the changes: rewrite the golden files of changed and missing cases.") var update = false
    @Option(help: ArgumentHelp("Also write a JUnit XML report to FILE.", valueName: "FILE")) var junit: String?
    @Flag(help: "Print a JSON summary instead of text.") var json = false

    func run() throws {
        let (suite, cases) = try selection.load(self.suite)
        let mode: SuiteRunner.Mode = update ? .update : .check
        let outcomes = try selection.execute(suite, cases: cases, mode: mode)
        if let junit {
            if let failure = OutputFile.save(Array(JUnitReport.xml(suite: suite, outcomes: outcomes).utf8), to: junit) {
                throw CommandFailure(.badInput, "\(junit): cannot write the JUnit report: \(failure)")
            }
        }
        if json {
            Output.out(Self.json(suite, outcomes).serialized())
        } else {
            for line in SuiteReport.lines(outcomes, mode: mode) { Output.out(line) }
        }
        if outcomes.contains(where: \.failed) { throw CommandFailure(.negative, "") }
    }

    static func json(_ suite: RegressionSuite, _ outcomes: [CaseOutcome]) -> JSON {
        func n(_ s: CaseOutcome.Status) -> JSON { .int(outcomes.filter { $0.status == s }.count) }
        return .object([
            ("suite", .string(suite.path)), ("cases", .int(outcomes.count)),
            ("same", n(.same)), ("changed", n(.changed)), ("missing", n(.missing)), ("updated", n(.written)),
            (
                "results",
                .array(
                    outcomes.map { o in
                        .object([
                            ("name", .string(o.regressionCase.name)),
                            ("status", .string(o.status == .written ? "updated" : o.status.rawValue)),
                            ("golden", .string(o.goldenPath)),
                            ("differences", .array(o.differences.map { .string($0) })),
                        ])
                    })
            ),
        ])
    }
}
