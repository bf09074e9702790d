/// How a command ends when it does not succeed: the contract's exit code and one line for stderr.
public struct CommandFailure: Error, CustomStringConvertible {
    /// The contract's exit codes.
    public enum Code: Int32, Sendable {
        /// A meaningful negative answer (rejected, differences found).
        case negative = 1
        /// Bad input or invocation.
        case badInput = 2
        /// The environment cannot do it.
        case environment = 3
    }

    public var code: Code
    /// The line printed on stderr (may be empty when the command already printed its answer).
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
