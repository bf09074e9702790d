import ArgumentParser
import Regression

/// `ctsim record SUITE`: run a regression suite's cases and write their golden files.
struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Run a regression suite and write each case's golden result.",
        discussion: """
            SUITE is a YAML file listing cases (object, program, captures, kernel, sysctls, options; \
            see README, "Regression suites"). Each case runs as `ctsim replay` would run it; its \
            per-packet verdicts, final conntrack table, globals and a SHA-256 digest of its trace go \
            to SUITE-without-extension.golden/CASE.json. Recording twice gives byte-identical files. \
            Exit 0 done, 2 bad suite, object or capture.
            """
    )

    @Argument(help: ArgumentHelp("The suite file (YAML).", valueName: "SUITE")) var suite: String
    @OptionGroup var selection: SuiteSelection

    func run() throws {
        let (suite, cases) = try selection.load(self.suite)
        let outcomes = try selection.execute(suite, cases: cases, mode: .record)
        for line in SuiteReport.lines(outcomes, mode: .record) { Output.out(line) }
    }
}

/// The options `record` and `check` share: which cases, how many at once.
struct SuiteSelection: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Run only slice I of N (1-based; case k of the suite, counted from 0, is in slice k % N + 1).",
            valueName: "I/N"))
    var shard: String?
    @Option(help: ArgumentHelp("Cases to run at once.", valueName: "N")) var jobs = 1
    @Option(help: ArgumentHelp("Run only the cases whose name contains NAME.", valueName: "NAME")) var filter: String?

    func validate() throws {
        guard jobs >= 1, jobs <= 256 else { throw ValidationError("--jobs must be between 1 and 256") }
        if let shard, Shard(parsing: shard) == nil {
            throw ValidationError("--shard expects I/N with 1 <= I <= N, got '\(shard)'")
        }
    }

    func load(_ path: String) throws -> (RegressionSuite, [RegressionCase]) {
        let suite: RegressionSuite
        do {
            suite = try RegressionSuite.load(path: path)
        } catch {
            throw CommandFailure(.badInput, error.description)
        }
        return (suite, suite.selecting(shard: shard.flatMap(Shard.init(parsing:)), filter: filter))
    }

    func execute(_ suite: RegressionSuite, cases: [RegressionCase], mode: SuiteRunner.Mode) throws -> [CaseOutcome] {
        do {
            return try SuiteRunner.run(suite, cases: cases, mode: mode, jobs: jobs)
        } catch {
            throw CommandFailure(.badInput, error.description)
        }
    }
}
