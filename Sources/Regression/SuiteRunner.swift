import Dispatch
import Foundation

/// What happened to one case in `record` or `check`.
public struct CaseOutcome: Sendable {
    public enum Status: String, Sendable {
        /// `check`: the result equals the golden.
        case same
        /// `check`: the result differs (`differences` says how).
        case changed
        /// `check`: the case has no golden file yet.
        case missing
        /// `record`, or `check --update` of a changed or missing case: the golden was written.
        case written
    }

    public var regressionCase: RegressionCase
    public var status: Status
    /// The diff lines against the golden (`check`; also kept when `--update` rewrote it).
    public var differences: [String]
    /// The golden file's path.
    public var goldenPath: String
    /// The case's result now.
    public var result: CaseResult
    /// Wall time of running and comparing the case.
    public var seconds: Double

    /// Whether the case counts as failed in a check (changed or missing, not accepted).
    public var failed: Bool { status == .changed || status == .missing }
}

/// Runs a suite's cases, in parallel when asked, and records or checks their golden files.
/// Outcomes come back in suite order whatever the number of jobs.
public enum SuiteRunner {
    public enum Mode: Sendable {
        /// Write every selected case's golden file.
        case record
        /// Compare with the golden files.
        case check
        /// Compare, and rewrite the golden files of changed and missing cases.
        case update
    }

    /// - Parameters:
    ///   - cases: the cases to run (a selection of `suite.cases`), in suite order.
    ///   - jobs: cases run at once (at least 1).
    /// - Throws: `RegressionError` for the first case, in suite order, that cannot run or whose
    ///   golden file is unreadable; no golden file is written then.
    public static func run(_ suite: RegressionSuite, cases: [RegressionCase], mode: Mode, jobs: Int = 1)
        throws(RegressionError)
        -> [CaseOutcome]
    {
        let slots = Slots(count: cases.count)
        let workers = max(1, min(jobs, cases.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let i = slots.next() {
                let outcome: Result<CaseOutcome, RegressionError>
                do throws(RegressionError) {
                    outcome = .success(try evaluate(cases[i], suite: suite, mode: mode))
                } catch {
                    outcome = .failure(error)
                }
                slots.store(i, outcome)
            }
        }
        var outcomes: [CaseOutcome] = []
        for result in slots.results() {
            switch result {
            case .success(let outcome): outcomes.append(outcome)
            case .failure(let error): throw error
            }
        }
        if mode != .check {
            for outcome in outcomes where outcome.status == .written {
                try write(outcome.result, to: outcome.goldenPath, suite: suite, caseName: outcome.regressionCase.name)
            }
        }
        return outcomes
    }

    /// Runs one case and compares it with its golden file (not in `record` mode).
    static func evaluate(_ c: RegressionCase, suite: RegressionSuite, mode: Mode) throws(RegressionError) -> CaseOutcome
    {
        let start = ContinuousClock.now
        let result = try CaseRunner.run(c, suite: suite.path)
        let path = suite.goldenPath(for: c)
        var outcome = CaseOutcome(
            regressionCase: c, status: .written, differences: [], goldenPath: path, result: result, seconds: 0)
        if mode != .record {
            if let data = FileManager.default.contents(atPath: path) {
                let golden = try CaseResult.decode(
                    String(decoding: data, as: UTF8.self), path: path, suite: suite.path, caseName: c.name)
                outcome.differences = GoldenDiff.differences(golden: golden, current: result)
                if outcome.differences.isEmpty, golden != result {
                    // Never expected: every field the golden holds has a diff line.
                    outcome.differences = ["golden file: differs from the result in a field the diff does not show"]
                }
                outcome.status = outcome.differences.isEmpty ? .same : mode == .update ? .written : .changed
            } else {
                outcome.status = mode == .update ? .written : .missing
            }
        }
        let elapsed = (ContinuousClock.now - start).components
        outcome.seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        return outcome
    }

    /// Writes a golden file (creating its directory), replacing it atomically.
    public static func write(_ result: CaseResult, to path: String, suite: RegressionSuite, caseName: String)
        throws(RegressionError)
    {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(result.encoded().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw RegressionError(
                .golden, "cannot write the golden file \(path): \(error.localizedDescription)", suite: suite.path,
                caseName: caseName)
        }
    }
}

/// The work queue and result slots the workers share.
private final class Slots: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private var slots: [Result<CaseOutcome, RegressionError>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard nextIndex < slots.count else { return nil }
        nextIndex += 1
        return nextIndex - 1
    }

    func store(_ index: Int, _ result: Result<CaseOutcome, RegressionError>) {
        lock.lock()
        slots[index] = result
        lock.unlock()
    }

    func results() -> [Result<CaseOutcome, RegressionError>] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0! }
    }
}
