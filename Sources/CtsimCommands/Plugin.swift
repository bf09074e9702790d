import ArgumentParser
import BPFObject
import BPFVM
import Foundation

/// `ctsim plugin [MEMORY...]`: the public bpf_conformance runner's plugin protocol. The program
/// comes on stdin as hex bytes (8 per instruction), the memory as hex bytes in the arguments;
/// prints r0 in hex and exits 0, or prints the error on stderr and exits 2 (bad program) or 1
/// (the program faulted).
struct Plugin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin",
        abstract: "Run one program as a bpf_conformance plugin (program hex on stdin, memory hex in arguments)."
    )

    @Argument(parsing: .captureForPassthrough, help: "Memory bytes in hex (one argument or several).")
    var memory: [String] = []

    func run() throws {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        let programBytes = try Self.hexBytes(String(decoding: input, as: UTF8.self), what: "program")
        guard !programBytes.isEmpty, programBytes.count % 8 == 0 else {
            throw CommandFailure(.badInput, "the program must be a non-empty multiple of 8 bytes, got \(programBytes.count)")
        }
        // Runner options (--flags) are accepted and ignored.
        let memoryText = memory.filter { !$0.hasPrefix("--") }.joined(separator: " ")
        let memoryBytes = try Self.hexBytes(memoryText, what: "memory")
        let instructions = Instruction.decode(programBytes).instructions
        do {
            let (result, _) = try ConformanceRunner.execute(instructions, memory: memoryBytes)
            Output.out(String(result, radix: 16))
        } catch {
            switch error.kind {
            case .invalidInstruction, .unknownCall, .invalidProgram: throw CommandFailure(.badInput, error.description)
            default: throw CommandFailure(.negative, error.description)
            }
        }
    }

    static func hexBytes(_ text: String, what: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for word in text.split(whereSeparator: { $0.isWhitespace || $0 == "," }) {
            var w = word
            if w.hasPrefix("0x") || w.hasPrefix("0X") { w = w.dropFirst(2) }
            guard !w.isEmpty, w.count <= 2, let b = UInt8(w, radix: 16) else {
                throw CommandFailure(.badInput, "\(what): '\(word.prefix(16))\(word.count > 16 ? "..." : "")' is not a hex byte")
            }
            bytes.append(b)
        }
        return bytes
    }
}
