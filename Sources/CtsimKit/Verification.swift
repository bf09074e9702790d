/// The simulated verifier's verdict on a program, in the kernel's words.
public struct Verification: Hashable, Sendable {
    public var accepted: Bool
    /// For a rejected program: the line the kernel's verifier ends its log with.
    public var error: String?
    /// `processed N insns` (close to the kernel's count, not equal).
    public var processedInstructions: Int
    /// The verifier log (level 1), in the kernel's format.
    public var log: String
}
