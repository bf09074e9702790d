import ConntrackKfuncs

/// One case of a suite: a program of an object run over one or more captures (one after the
/// other, into one conntrack table), with a kernel profile, sysctls and options, exactly as
/// `ctsim replay` would run it.
public struct RegressionCase: Hashable, Sendable {
    /// The case's name: letters, digits, `.`, `_` and `-` (it names the golden file).
    public var name: String
    /// The line of the case in the suite file.
    public var line: Int?
    /// The object's path as the suite writes it (relative to the suite file).
    public var objectName: String
    /// The object's path resolved against the suite file's directory.
    public var objectPath: String
    /// The program (function) name; nil when the object has only one.
    public var program: String?
    /// The captures as the suite writes them.
    public var captureNames: [String]
    /// The captures resolved against the suite file's directory.
    public var capturePaths: [String]
    /// The conntrack kfuncs' kernel ABI profile (`ConntrackKernelProfile.named`).
    public var kernel: ConntrackKernelProfile
    /// Sysctl settings in the suite's order (name as written, value), as `ctsim track --sysctl`.
    public var sysctls: [Sysctl]
    public var options: CaseOptions

    /// One `name: value` sysctl setting.
    public struct Sysctl: Hashable, Sendable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(
        name: String, line: Int? = nil, objectName: String, objectPath: String, program: String?,
        captureNames: [String],
        capturePaths: [String], kernel: ConntrackKernelProfile = .current, sysctls: [Sysctl] = [],
        options: CaseOptions = CaseOptions()
    ) {
        self.name = name
        self.line = line
        self.objectName = objectName
        self.objectPath = objectPath
        self.program = program
        self.captureNames = captureNames
        self.capturePaths = capturePaths
        self.kernel = kernel
        self.sysctls = sysctls
        self.options = options
    }
}

/// How a case runs; the suite's `options:` keys, mirroring `ctsim replay`'s flags.
public struct CaseOptions: Hashable, Sendable {
    /// `track`: passed packets continue into native conntrack (`ctsim replay --track`).
    public var track = false
    /// `trace`: record kfunc calls and conntrack events and keep their digest (`--trace`).
    public var trace = true
    /// `output`: keep a digest of each packet the program rewrote.
    public var output = true
    /// `verify`: run the verifier first and record its verdict (a rejected program is not run).
    public var verify = true

    public init(track: Bool = false, trace: Bool = true, output: Bool = true, verify: Bool = true) {
        self.track = track
        self.trace = trace
        self.output = output
        self.verify = verify
    }

    /// The option names a suite may set.
    public static let keys = ["track", "trace", "output", "verify"]

    mutating func set(_ key: String, _ value: Bool) {
        switch key {
        case "track": track = value
        case "trace": trace = value
        case "output": output = value
        default: verify = value
        }
    }
}
