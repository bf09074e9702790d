public import Testing
import KernelBackend

extension Trait where Self == ConditionTrait {
    /// For tests (or suites) that need root, `ip`, `nft`, `conntrack`, network namespaces and the
    /// conntrack kfuncs.
    ///
    /// Where `KernelSupport.probe()` finds something missing, the test is skipped with a comment
    /// saying what. With `CI=true` it is not skipped: evaluating the condition throws
    /// `KernelError(.unsupported)` with the same message, which Swift Testing records as the
    /// test's failure.
    ///
    /// ```swift
    /// @Test(.needsKernel) func roundTrip() throws { ... }
    /// ```
    public static var needsKernel: Self {
        let support = KernelRequirement.support
        let ci = KernelRequirement.isCI
        let comment = Comment(rawValue: support.isSatisfied ? "needs the live kernel: \(support)" : support.description)
        return .enabled(comment) {
            switch KernelRequirement.verdict(for: support, ci: ci) {
            case .run: return true
            case .skip: return false
            case .fail(let message): throw KernelError(.unsupported, message)
            }
        }
    }
}
