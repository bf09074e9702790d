/// An error of CtsimKit: an object that cannot be loaded, a program the verifier rejects, a
/// capture that cannot be read, a bad setting.
public struct CtsimKitError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The object file cannot be read or parsed, or the program cannot be loaded into the VM.
        case load
        /// The verifier rejected the program; `verifierError` holds its last line.
        case rejected
        /// The program is not of the type asked for (an XDP program loaded as `TCProgram`, ...).
        case wrongProgramType
        /// A sysctl or constant that does not exist or has a bad value.
        case badSetting
        /// A capture file that cannot be read or written.
        case capture
    }

    public var kind: Kind
    public var message: String
    /// The object file (and program) or capture the error is about.
    public var location: String
    /// For `.rejected`: the verifier's error line, as the kernel prints it.
    public var verifierError: String?

    public init(_ kind: Kind, _ message: String, location: String = "", verifierError: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
        self.verifierError = verifierError
    }

    public var description: String { location.isEmpty ? message : "\(location): \(message)" }
}
