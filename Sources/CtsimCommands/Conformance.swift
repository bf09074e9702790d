import ArgumentParser
import BPFObject
import BPFVM
import Foundation

/// `ctsim conformance DIR`: runs every `*.data` file of a bpf_conformance folder on the VM.
struct Conformance: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Run a folder of bpf_conformance test files on the VM and count passes and failures.",
        discussion: "Exit 0 when every case passes, 1 when some fail, 2 when the folder is unusable."
    )

    @Argument(help: "A folder of .data files (e.g. ../shared/conformance/bpf_conformance/tests).")
    var directory: String

    @Flag(help: "Print every case, not only the failures.")
    var verbose = false

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CommandFailure(.badInput, "\(directory): no such directory")
        }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw CommandFailure(.badInput, "\(directory): cannot read the directory")
        }
        let files = names.filter { $0.hasSuffix(".data") }.sorted()
        guard !files.isEmpty else { throw CommandFailure(.badInput, "\(directory): no .data test files") }
        var passed = 0
        var results: [JSON] = []
        for name in files {
            let path = directory + "/" + name
            let outcome: ConformanceOutcome
            if let data = FileManager.default.contents(atPath: path) {
                outcome = ConformanceRunner.run(text: String(decoding: data, as: UTF8.self))
            } else {
                outcome = .malformed("cannot read the file")
            }
            if outcome.passed { passed += 1 }
            if json {
                results.append(.object([("file", .string(name)), ("passed", .bool(outcome.passed)), ("detail", .string(outcome.description))]))
            } else if verbose || !outcome.passed {
                Output.out("\(outcome.passed ? "PASS" : "FAIL") \(name): \(outcome)")
            }
        }
        let failed = files.count - passed
        if json {
            Output.out(JSON.object([("passed", .int(passed)), ("failed", .int(failed)), ("cases", .array(results))]).serialized())
        } else {
            Output.out("\(passed) passed, \(failed) failed, \(files.count) total")
        }
        if failed > 0 { throw CommandFailure(.negative, "") }
    }
}
