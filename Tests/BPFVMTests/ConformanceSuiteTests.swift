import BPFObject
import BPFVM
import Foundation
import Testing

/// The public bpf_conformance corpus in `../shared/conformance` (skipped only where absent).
enum Corpus {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent().appendingPathComponent("shared/conformance/bpf_conformance").standardized.path
    }()

    static var available: Bool { FileManager.default.fileExists(atPath: root + "/tests") }

    static func files(_ folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + folder)) ?? []
        return names.filter { $0.hasSuffix(".data") }.sorted()
    }

    static func text(_ folder: String, _ name: String) throws -> String {
        try String(contentsOfFile: root + "/" + folder + "/" + name, encoding: .utf8)
    }
}

@Suite(.enabled(if: Corpus.available, "../shared/conformance is absent"))
struct ConformanceSuiteTests {
    @Test func corpusIsComplete() {
        #expect(Corpus.files("tests").count == 313)
        #expect(Corpus.files("negative").count == 60)
    }

    @Test(arguments: Corpus.files("tests"))
    func passes(_ name: String) throws {
        let outcome = ConformanceRunner.run(text: try Corpus.text("tests", name))
        #expect(outcome.passed, "\(name): \(outcome)")
    }

    /// Every negative case is rejected, each for its own reason.
    @Test(arguments: Corpus.files("negative"))
    func rejects(_ name: String) throws {
        let outcome = ConformanceRunner.run(text: try Corpus.text("negative", name))
        let stem = String(name.dropLast(5))
        switch outcome {
        case .passed:
            Issue.record("\(name) passed: \(outcome)")
        case .assemblerRejected(let error):
            let expected: [String: AssemblerError.Kind] = [
                "invalid_imm32_dec_range": .immediateRange, "invalid_imm32_hex_range": .immediateRange,
                "invalid_label": .invalidLabel, "invalid_lock": .operandCount, "invalid_lock2": .operandCount,
                "invalid_mnemonic": .invalidMnemonic, "invalid_offset": .invalidMemoryOperand,
                "invalid_offset_range": .offsetRange, "invalid_operand_count": .operandCount,
                "invalid_register": .invalidRegister,
            ]
            #expect(expected[stem] == error.kind, "\(name): \(error)")
            #expect(error.line > 0)
        case .loaderRejected(let error):
            #expect(stem.hasPrefix("unused-"), "\(name): \(error)")
            #expect(error.kind == .invalidInstruction && error.instruction == 0, "\(name): \(error)")
            #expect(error.message.contains("reserved"), "\(name): \(error)")
        case .malformed:
            #expect(["empty", "empty_instructions", "invalid_unknown_directive"].contains(stem), "\(name): \(outcome)")
        case .mismatch:
            #expect(stem == "incorrect_return_value_high_bits", "\(name): \(outcome)")
        case .unexpectedSuccess:
            #expect(stem == "error", "\(name): \(outcome)")
        case .faulted(let error):
            Issue.record("\(name) faulted instead of being rejected: \(error)")
        }
    }
}
