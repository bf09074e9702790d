public import KernelBackend

#if canImport(Glibc)
import Glibc
#endif

/// The decision behind the `needsKernel` trait: run, skip, or fail.
///
/// A test that needs the live kernel runs when `KernelSupport.probe()` finds everything. When
/// something is missing it is skipped with a message saying what, except under CI (environment
/// variable `CI=true`), where it runs into a failure carrying that message: a CI machine that
/// cannot run kernel tests is a broken CI machine, not a reason to pass.
public enum KernelRequirement {
    /// What the probe found, once per process (the probe creates and deletes a namespace).
    public static let support: KernelSupport = {
        NetworkNamespace.removeStale()
        return KernelSupport.probe(tools: ["conntrack"])
    }()

    /// Whether `CI=true` (also `1` or `yes`) is set.
    public static var isCI: Bool {
        guard let value = getenv("CI") else { return false }
        return ["true", "1", "yes"].contains(String(cString: value).lowercased())
    }

    /// The verdict for `support` under the CI setting.
    public enum Verdict: Equatable, Sendable {
        case run
        /// Skip, with the comment to show (`kernel support missing: ...`).
        case skip(String)
        /// Fail with `KernelError(.unsupported, message)`; the message lists what is missing.
        case fail(String)
    }

    public static func verdict(for support: KernelSupport, ci: Bool) -> Verdict {
        if support.isSatisfied { return .run }
        return ci ? .fail(support.missingSummary) : .skip(support.description)
    }

    /// Throws `KernelError(.unsupported)` with the probe's line when something is missing.
    /// Fixtures call it first, so under CI a test fails with a message saying what is missing.
    public static func require() throws(KernelError) {
        try support.require()
    }
}
