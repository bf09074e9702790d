/// An error of loading or replaying a program, with where it happened.
public struct ReplayError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The object or program cannot be loaded into the VM.
        case load
        /// The program type has no context the replay models.
        case unsupportedType
        /// The verifier rejected the program.
        case rejected
        /// Bad input for `run` (a context too short, ...).
        case badInput
    }

    public var kind: Kind
    public var message: String
    /// The object (and program) it is about.
    public var location: String

    public init(_ kind: Kind, _ message: String, location: String = "") {
        self.kind = kind
        self.message = message
        self.location = location
    }

    public var description: String { location.isEmpty ? message : "\(location): \(message)" }
}
