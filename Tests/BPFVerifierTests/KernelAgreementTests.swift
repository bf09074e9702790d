import BPFVerifier
import CtsimTesting
import KernelBackend
import Testing

/// The simulated verifier against the live kernel's, program by program: the same verdict, and
/// for a rejected program the same error line (register numbers and ids included).
@Suite("Verifier agrees with the kernel")
struct KernelAgreementTests {
    static let corpora = ["core", "conntrack"]

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

/// The project's own firewall: accepted by the simulated verifier, as by the kernel.
@Suite("Verifier on the project's programs")
struct ProjectProgramTests {
    @Test func firewallIsAccepted() throws {
        let path = Support.packageRoot + "/bpf/build/xdp_ct_firewall.bpf.o"
        let object = FileManagerPath.exists(path) ? path : try Support.compileExample("xdp_ct_firewall")
        let verdicts = try Support.verifyAll(object)
        #expect(!verdicts.isEmpty)
        for (name, verdict) in verdicts {
            #expect(verdict.accepted, "\(name): \(verdict.error ?? "")")
            #expect(verdict.processedInstructions > 0)
        }
    }

    @Test("firewall: same verdict as the kernel", .needsKernel)
    func firewallAgreesWithKernel() throws {
        let path = Support.packageRoot + "/bpf/build/xdp_ct_firewall.bpf.o"
        let object = FileManagerPath.exists(path) ? path : try Support.compileExample("xdp_ct_firewall")
        let simulated = try Support.verifyAll(object)
        let kernel = try KernelFixture.withNamespace { namespace in
            try namespace.run { try KernelProgramLoader.verify(path: object) }
        }
        for k in kernel {
            #expect(simulated[k.program]?.accepted == k.accepted, "\(k.program)")
        }
    }
}
