/// The kernel verifier's answer for one program: what `ctsim verify --json` reports
/// (`accepted`, `error`, `processed_insns`, `log`), taken from a real `BPF_PROG_LOAD` with a log
/// buffer.
public struct KernelVerification: Sendable, Equatable {
    /// The program's function name.
    public var program: String
    /// The program type as libbpf names it (`xdp`, `sched_cls`, ...).
    public var type: String
    public var accepted: Bool
    /// The line the log ends with before its summary (`processed N insns`, `verification time`,
    /// `stack depth`); nil when the program was accepted. When the kernel was never asked (libbpf
    /// failed first, e.g. on an unknown kfunc), libbpf's last message.
    public var error: String?
    /// N of `processed N insns`, when the kernel printed it.
    public var processedInstructions: Int?
    /// The whole verifier log as the kernel wrote it.
    public var log: String
    /// The errno of a failed load (EACCES for a rejected program, EINVAL, ...).
    public var errno: Int32?
    /// What libbpf said during the load (warnings, not debug output).
    public var libbpfMessages: [String]

    /// Whether the load failed only because the log did not fit its buffer (ENOSPC).
    public var logTruncated: Bool { !accepted && errno == 28 }

    public init(
        program: String, type: String, accepted: Bool, error: String?, processedInstructions: Int?, log: String,
        errno: Int32? = nil, libbpfMessages: [String] = []
    ) {
        self.program = program
        self.type = type
        self.accepted = accepted
        self.error = error
        self.processedInstructions = processedInstructions
        self.log = log
        self.errno = errno
        self.libbpfMessages = libbpfMessages
    }
}

/// Reading a verifier log the way the contract defines its parts.
public enum VerifierLog {
    /// Whether `line` belongs to the summary the kernel prints after the verdict.
    static func isSummary(_ line: Substring) -> Bool {
        line.hasPrefix("verification time ") || line.hasPrefix("stack depth")
            || (line.hasPrefix("processed ") && line.contains(" insns"))
    }

    /// The lines of `log` without empty ones.
    static func lines(_ log: String) -> [Substring] {
        log.split(separator: "\n", omittingEmptySubsequences: true)
    }

    /// N of the last `processed N insns` line.
    public static func processedInstructions(_ log: String) -> Int? {
        for line in lines(log).reversed() where line.hasPrefix("processed ") {
            let words = line.split(separator: " ")
            if words.count >= 3, words[2] == "insns", let count = Int(words[1]) { return count }
        }
        return nil
    }

    /// The last line before the trailing summary block (`processed`, `verification time`,
    /// `stack depth`); without a summary, the last line of the log; nil for an empty log.
    public static func errorLine(_ log: String) -> String? {
        var all = lines(log)
        guard !all.isEmpty else { return nil }
        if let last = all.lastIndex(where: isSummary) {
            all.removeSubrange(last...)
            while let tail = all.last, isSummary(tail) { all.removeLast() }
        }
        return all.last.map(String.init)
    }
}
