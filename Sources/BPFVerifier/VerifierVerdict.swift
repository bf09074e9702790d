/// The verifier's answer for one program, in the terms `ctsim verify --json` prints
/// (`../shared/contract.md`).
public struct VerifierVerdict: Hashable, Sendable {
    public var accepted: Bool
    /// The line the kernel's verifier ends its log with for a rejected program; nil when accepted.
    public var error: String?
    /// `processed N insns`.
    public var processedInstructions: Int
    /// The log at the requested level, in the kernel's format.
    public var log: String

    public init(accepted: Bool, error: String?, processedInstructions: Int, log: String) {
        self.accepted = accepted
        self.error = error
        self.processedInstructions = processedInstructions
        self.log = log
    }
}
