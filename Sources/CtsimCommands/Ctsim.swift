import ArgumentParser

/// The `ctsim` command: the root of every subcommand.
public struct Ctsim: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "ctsim",
        abstract: "Simulate, verify and test XDP/TC programs that use the Linux conntrack kfuncs.",
        discussion: """
            ctsim answers, without root or a recent kernel and deterministically, the questions a \
            writer of XDP and TC programs against bpf_xdp_ct_lookup, bpf_ct_insert_entry and the other \
            conntrack kfuncs asks: will the kernel take my program, what does it do to this traffic, \
            and did my change break anything. Where the live kernel is available, ctsim compares its \
            answers with it.

            Exit codes: 0 done; 1 a negative answer (rejected, differences); 2 bad input or \
            invocation; 3 the environment cannot do it.
            """,
        version: Ctsim.version,
        subcommands: [PcapInfo.self, Disasm.self, Table.self, Diff.self, Track.self, Conformance.self, Plugin.self, Bench.self, ReplayCommand.self, RunCommand.self, KfuncsCommand.self, Verify.self, Record.self, Check.self]
    )

    public init() {}

    /// Parses `arguments` (without the program name), runs the command and returns the exit code.
    /// Errors become one line on stderr; nothing is left to trap.
    public static func execute(_ arguments: [String]) -> Int32 {
        let code: Int32
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            code = 0
        } catch let failure as CommandFailure {
            if !failure.message.isEmpty { Output.err("ctsim: \(StderrLine.sanitized(failure.message))") }
            code = failure.code.rawValue
        } catch {
            let exit = exitCode(for: error)
            if exit == .success {
                Output.out(fullMessage(for: error))
                code = 0
            } else if let exitCode = error as? ExitCode {
                code = exitCode.rawValue
            } else {
                let message = Self.message(for: error)
                let first = message.split(whereSeparator: \.isNewline).first.map(String.init) ?? "invalid invocation"
                Output.err("ctsim: \(StderrLine.sanitized(first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first)) (see 'ctsim --help')")
                code = CommandFailure.Code.badInput.rawValue
            }
        }
        Output.flush()
        return code
    }
}
