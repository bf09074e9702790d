/// Why verification stopped: the kernel's message lines (the last one is the error line).
struct VerificationFailure: Error {
    var lines: [String]
    init(_ lines: String...) { self.lines = lines }
    init(lines: [String]) { self.lines = lines }
}

/// A problem with the verifier's input itself (not a verdict): reported by `ctsim verify` as bad input.
public struct VerifierError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable { case program }
    public var kind: Kind
    public var message: String
    public var location: Int?
    public init(_ kind: Kind, _ message: String, location: Int? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
    }
    public var description: String { location.map { "insn \($0): \(message)" } ?? message }
}
