import ArgumentParser
import BPFObject
import BPFVerifier
import ConntrackKfuncs
import Foundation

/// `ctsim verify OBJECT [--program NAME] [--json] [--log-level N]`: the simulated kernel
/// verifier's verdict, error line and log for each program (`../shared/contract.md`).
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a BPF object's programs as the kernel verifier would (root loader).",
        discussion: """
            Each program is relocated as libbpf loads it and checked by ctsim's verifier with the \
            conntrack kfunc sets. Text output is the log in the kernel's format (log level 1: the \
            failing path; 2: every instruction with its state). Exit 0 when every program is \
            accepted, 1 when one is rejected.
            """
    )

    @Argument(help: "A clang-built BPF object (clang -target bpf -O2 -g).")
    var object: String

    @Option(help: "Only this program (function name); all programs when omitted.")
    var program: String?

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Verifier log level (1 or 2).")
    var logLevel: Int = 1

    func validate() throws {
        guard (1...2).contains(logLevel) else { throw ValidationError("--log-level must be 1 or 2") }
    }

    func run() throws {
        let results = try Self.verify(path: object, program: program, logLevel: logLevel)
        if json {
            let items = results.map { Self.json($0.loaded, $0.verdict) }
            Output.out((program != nil ? items[0] : .array(items)).serialized())
        } else {
            for (n, result) in results.enumerated() {
                if results.count > 1 { Output.out((n > 0 ? "\n" : "") + "\(result.loaded.name):") }
                var text = result.verdict.log
                if text.hasSuffix("\n") { text.removeLast() }
                Output.out(text)
            }
        }
        if results.contains(where: { !$0.verdict.accepted }) { throw CommandFailure(.negative, "") }
    }

    /// Loads and verifies `program` of `path` (every program when nil); bad input is exit 2.
    static func verify(path: String, program: String?, logLevel: Int) throws -> [(loaded: LoadedProgram, verdict: VerifierVerdict)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(.badInput, "\(path): cannot read the file")
        }
        let file: BPFObjectFile
        do {
            file = try BPFObjectFile(bytes: [UInt8](data), fileName: path)
        } catch {
            throw CommandFailure(.badInput, "\(path): \(error)")
        }
        var names = file.programs.map(\.name)
        if let program {
            guard names.contains(program) else {
                throw CommandFailure(.badInput, "\(path): no program named \(program) (programs: \(names.joined(separator: ", ")))")
            }
            names = [program]
        }
        guard !names.isEmpty else { throw CommandFailure(.badInput, "\(path): no programs") }
        let registry = ConntrackKfuncSet.registry()
        let options = ConntrackKfuncSet.loadOptions()
        var results: [(LoadedProgram, VerifierVerdict)] = []
        for name in names {
            let loaded: LoadedProgram
            do {
                loaded = try file.load(name, options: options)
            } catch {
                throw CommandFailure(.badInput, "\(path): \(error)")
            }
            let verdict = BPFVerifier.verify(program: loaded, kfuncs: registry, options: VerifierOptions(logLevel: logLevel))
            results.append((loaded, verdict))
        }
        return results
    }

    /// `{"program", "type", "accepted", "error", "processed_insns", "log"}`.
    static func json(_ loaded: LoadedProgram, _ verdict: VerifierVerdict) -> JSON {
        .object([
            ("program", .string(loaded.name)), ("type", .string(loaded.type.description)), ("accepted", .bool(verdict.accepted)),
            ("error", verdict.error.map(JSON.string) ?? .null), ("processed_insns", .int(verdict.processedInstructions)),
            ("log", .string(verdict.log)),
        ])
    }
}
