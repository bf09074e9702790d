import ArgumentParser
import KernelBackend

/// `ctsim diff verify OBJECT [--program NAME]`: the kernel verifier's verdict and error line vs
/// the simulated verifier's.
struct DiffVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare the kernel verifier's verdict and error line with the simulated verifier's.",
        discussion: """
            The kernel side loads each program (or --program) alone, in a private namespace, with \
            a log buffer, and takes the verdict, the error line (the last before 'processed N \
            insns') and the processed count.
            """
    )

    @Argument(help: ArgumentHelp("The clang-built BPF ELF object.", valueName: "OBJECT"))
    var object: String

    @Option(help: "The program (function) name; all programs when omitted.")
    var program: String?

    @Option(help: "Verifier log level (1 or 2).")
    var logLevel: UInt32 = 1

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard (1...2).contains(logLevel) else { throw ValidationError("--log-level must be 1 or 2") }
    }

    func run() throws {
        try DiffKernel.checkObject(object, program: program, requireSingle: false)
        try DiffKernel.requireSupport()
        let path = object, program = program, level = logLevel
        let verifications = try DiffKernel.run("verification") {
            try NetworkNamespace.withNamespace { namespace in
                try namespace.run { try KernelProgramLoader.verify(path: path, program: program, logLevel: level) }
            }
        }
        let kernel = verifications.map(DiffKernel.verification)
        let simulated = try DiffSimulator.verify(path: path, program: program)
        try DiffReport(
            mode: "verify", differences: Self.compare(kernel: kernel, simulated: simulated), kernel: .array(kernel),
            simulated: .array(simulated)
        ).emit(json: json)
    }

    /// Verdict, error line and processed count per program, matched by name.
    static func compare(kernel: [JSON], simulated: [JSON]) -> [Difference] {
        var differences: [Difference] = []
        for entry in kernel {
            let name = entry["program"].map(Difference.show) ?? "?"
            guard let other = simulated.first(where: { $0["program"] == entry["program"] }) else {
                differences.append(Difference(kind: "verify", subject: name, field: nil, kernel: entry["accepted"] ?? .null, simulated: .null))
                continue
            }
            // The verdict and the error line are what the simulator promises; the processed count
            // is printed on both sides but not compared (the simulator has no liveness pruning).
            for field in ["accepted", "error"] where entry[field] != other[field] {
                differences.append(
                    Difference(kind: "verify", subject: name, field: field, kernel: entry[field] ?? .null, simulated: other[field] ?? .null))
            }
        }
        return differences
    }
}
