import Foundation
import Testing

@Suite struct ConformanceCLITests {
    static let corpus = URL(fileURLWithPath: CLI.packageRoot).deletingLastPathComponent()
        .appendingPathComponent("shared/conformance/bpf_conformance").path

    static var available: Bool { FileManager.default.fileExists(atPath: corpus + "/tests") }

    @Test(.enabled(if: available, "../shared/conformance is absent"))
    func countsPassesAndFailures() throws {
        let tests = try CLI.run(["conformance", Self.corpus + "/tests"])
        #expect(tests.status == 0, "\(tests.stdout)\(tests.stderr)")
        #expect(tests.stdout == "313 passed, 0 failed, 313 total\n")
        let negative = try CLI.run(["conformance", Self.corpus + "/negative"])
        #expect(negative.status == 1)
        #expect(negative.stdout.hasSuffix("0 passed, 60 failed, 60 total\n"))
        #expect(negative.stdout.contains("FAIL invalid_register.data: assembler: line 4: Invalid register '%r50'"))
        #expect(negative.stdout.contains("FAIL unused-exit-imm.data: rejected at load: instruction 0: reserved immediate field is 1"))
    }

    @Test func badDirectoryIsExit2() throws {
        let result = try CLI.run(["conformance", "/nonexistent-ctsim-dir"])
        #expect(result.status == 2)
        #expect(result.stderrLines == ["ctsim: /nonexistent-ctsim-dir: no such directory"])
        let empty = try CLI.run(["conformance", CLI.packageRoot + "/Sources/ctsim"])
        #expect(empty.status == 2 && empty.stderr.contains("no .data test files"))
    }

    /// The public runner's plugin protocol: program on stdin, memory in argv, r0 in hex.
    @Test func pluginProtocol() throws {
        // ldxdw %r0, [%r1+2]; exit
        let program = "79 10 02 00 00 00 00 00 95 00 00 00 00 00 00 00"
        let ok = try runPlugin(stdin: program, ["aa bb 11 22 33 44 55 66 77 88 cc dd"])
        #expect(ok.status == 0 && ok.stdout == "8877665544332211\n")
        // Memory as separate arguments works too.
        let split = try runPlugin(stdin: program, "aa bb 11 22 33 44 55 66 77 88".split(separator: " ").map(String.init))
        #expect(split.stdout == "8877665544332211\n")
        // Out of bounds: a fault on stderr, non-zero exit.
        let fault = try runPlugin(stdin: program, ["aa bb"])
        #expect(fault.status == 1 && fault.stdout.isEmpty)
        #expect(fault.stderr == "ctsim: instruction 0: load of 8 bytes at memory buffer+2: outside the region\n")
        // A reserved field set: rejected at load, exit 2.
        let bad = try runPlugin(stdin: "95 00 00 00 01 00 00 00", [])
        #expect(bad.status == 2 && bad.stderr.contains("reserved immediate field"))
        let garbage = try runPlugin(stdin: "zz", [])
        #expect(garbage.status == 2 && garbage.stderr == "ctsim: program: 'zz' is not a hex byte\n")
    }

    func runPlugin(stdin: String, _ memory: [String]) throws -> CLI.Result {
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["plugin"] + memory
        let input = Pipe(), out = Pipe(), err = Pipe()
        process.standardInput = input
        process.standardOutput = out
        process.standardError = err
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}
