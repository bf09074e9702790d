import Foundation
import BPFVerifier
import CtsimTesting
import KernelBackend
import Testing

/// The simulated verifier against the live kernel's, program by program: the same verdict, and
/// for a rejected program the same error line (register numbers and ids included).
@Suite("Verifier agrees with the kernel")
struct KernelAgreementTests {
    static let corpora = ["core", "conntrack", "handoff"]

    @Test("verdict and error line per program", .needsKernel, arguments: corpora)
    func agrees(corpus: String) throws {
        let path = try Support.compile(corpus)
        let simulated = try Support.verifyAll(path)
        let kernel = try KernelFixture.withNamespace { namespace in
            try namespace.run { try KernelProgramLoader.verify(path: path) }
        }
        #expect(kernel.count == simulated.count)
        var agreeing = 0
        var kernelProcessed = 0, simulatedProcessed = 0
        for k in kernel {
            kernelProcessed += k.processedInstructions ?? 0
            simulatedProcessed += simulated[k.program]?.processedInstructions ?? 0
            guard let s = simulated[k.program] else {
                Issue.record("\(k.program): no simulated verdict")
                continue
            }
            #expect(s.accepted == k.accepted, "\(corpus)/\(k.program): accepted \(s.accepted), kernel \(k.accepted) (\(k.error ?? "-"))")
            if !k.accepted {
                #expect(s.error == k.error, "\(corpus)/\(k.program): error line")
            }
            if s.accepted == k.accepted && (k.accepted || s.error == k.error) { agreeing += 1 }
        }
        print("verifier agreement \(corpus): \(agreeing)/\(kernel.count); processed insns kernel \(kernelProcessed), ctsim \(simulatedProcessed)")
    }
}

/// The project's example programs (every `bpf/*.bpf.c`): accepted by the simulated verifier, as
/// by the kernel.
@Suite("Verifier on the project's programs")
struct ProjectProgramTests {
    static let examples: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Support.packageRoot + "/bpf")) ?? []
        return names.filter { $0.hasSuffix(".bpf.c") }.map { String($0.dropLast(".bpf.c".count)) }.sorted()
    }()

    static func object(_ name: String) throws -> String {
        let path = Support.packageRoot + "/bpf/build/\(name).bpf.o"
        return FileManagerPath.exists(path) ? path : try Support.compileExample(name)
    }

    @Test func theExamplesAreThere() {
        #expect(Self.examples.contains("xdp_ct_firewall"))
        #expect(Self.examples.count >= 2)
    }

    @Test(arguments: examples)
    func exampleIsAccepted(_ name: String) throws {
        let verdicts = try Support.verifyAll(try Self.object(name))
        #expect(!verdicts.isEmpty)
        for (program, verdict) in verdicts {
            #expect(verdict.accepted, "\(name)/\(program): \(verdict.error ?? "")")
            #expect(verdict.processedInstructions > 0)
        }
    }

    @Test("same verdict as the kernel", .needsKernel, arguments: examples)
    func exampleAgreesWithKernel(_ name: String) throws {
        let object = try Self.object(name)
        let simulated = try Support.verifyAll(object)
        let kernel = try KernelFixture.withNamespace { namespace in
            try namespace.run { try KernelProgramLoader.verify(path: object) }
        }
        #expect(!kernel.isEmpty)
        for k in kernel {
            #expect(simulated[k.program]?.accepted == k.accepted, "\(name)/\(k.program)")
            #expect(simulated[k.program]?.error == k.error, "\(name)/\(k.program)")
        }
    }
}

