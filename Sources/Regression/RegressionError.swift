/// An error of a regression suite: a suite file that cannot be read or is malformed, a case whose
/// object, program or capture cannot be used, a golden file that cannot be read or written.
///
/// Its `description` is the one line the command-line tool prints: the suite file (with the line
/// where known), the case, then what is wrong.
public struct RegressionError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The suite file cannot be read or is not valid YAML.
        case unreadable
        /// The suite's structure is wrong: unknown key, wrong type, missing key, bad value.
        case malformed
        /// A file the suite names does not exist or cannot be read.
        case missingFile
        /// The case's object or program cannot be loaded, or a capture cannot be read.
        case load
        /// A golden file is not valid, or cannot be written.
        case golden
    }

    public var kind: Kind
    public var message: String
    /// The suite file's path.
    public var suite: String
    /// The 1-based line in the suite file, when known.
    public var line: Int?
    /// The case it is about, when one.
    public var caseName: String?

    public init(_ kind: Kind, _ message: String, suite: String, line: Int? = nil, caseName: String? = nil) {
        self.kind = kind
        self.message = message
        self.suite = suite
        self.line = line
        self.caseName = caseName
    }

    /// `SUITE:LINE: case NAME: message`.
    public var description: String {
        var text = suite
        if let line { text += ":\(line)" }
        text += ": "
        if let caseName { text += "case \(caseName): " }
        return text + message
    }
}
