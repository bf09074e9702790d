import BPFObject
import BPFVerifier
import ConntrackKfuncs
import CtsimTesting
import Foundation
import KernelBackend
import Testing

/// What `verify` hands the VM for an accepted program: the code decoded once, which slots some
/// path executes, and each subprogram's stack depth (checked against the kernel's own figure).
@Suite("What the verifier hands the VM")
struct HandoffTests {
    static let corpora = ["core", "conntrack", "handoff"]

    /// Every program of `corpus` as loaded, with the verdict, the number of decodes the
    /// verification made.
    static func verified(_ corpus: String) throws -> [(loaded: LoadedProgram, verdict: VerifierVerdict, decodes: Int)] {
        let path = try Support.compile(corpus)
        let bytes = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
        let file = try BPFObjectFile(bytes: bytes, fileName: (path as NSString).lastPathComponent)
        let registry = ConntrackKfuncSet.registry()
        return try file.programs.map { program in
            let loaded = try file.load(program.name, options: ConntrackKfuncSet.loadOptions())
            let counter = DecodeCounter()
            let verdict = ProgramDecoder.$counter.withValue(counter) {
                BPFVerifier.verify(program: loaded, kfuncs: registry, options: VerifierOptions(logLevel: 0))
            }
            return (loaded, verdict, counter.count)
        }
    }

    @Test("accepted programs come decoded, once; rejected ones do not", arguments: corpora)
    func acceptedProgramsAreDecodedOnce(corpus: String) throws {
        let results = try Self.verified(corpus)
        #expect(!results.isEmpty)
        for (loaded, verdict, decodes) in results {
            if verdict.accepted, verdict.decodingError == nil {
                let program = try #require(verdict.program, "\(loaded.name)")
                #expect(decodes == 1, "\(loaded.name)")
                #expect(program.name == loaded.name)
                #expect(program.decoded.slotCount == loaded.instructions.count)
                #expect(program.decoded.code.count == loaded.instructions.count + 1)
                #expect(program.decoded.code.last?.op == .trap)
                #expect(program.reachable.count == loaded.instructions.count)
                #expect(program.reachable.first == true)
                #expect(program.subprograms.first?.start == 0)
                #expect(program.maxCombinedStackDepth <= 512 && program.maxCombinedStackDepth >= 32)
            } else if !verdict.accepted {
                #expect(verdict.program == nil, "\(loaded.name)")
                #expect(decodes == 0, "\(loaded.name): a rejected program is not decoded")
            }
        }
    }

    @Test func deadCodeIsReported() throws {
        let results = Dictionary(uniqueKeysWithValues: try Self.verified("handoff").map { ($0.loaded.name, $0.verdict) })
        let dead = try #require(results["dead_branch"]?.program)
        #expect(dead.reachable == [true, true, true, true, false, false])
        #expect(dead.deadSlots == 2)
        let rodata = try #require(results["dead_rodata_branch"]?.program)
        #expect(rodata.deadSlots > 0)
        let live = try #require(results["stack_none"]?.program)
        #expect(live.deadSlots == 0)
    }

    @Test func stackDepthsPerSubprogram() throws {
        let results = Dictionary(uniqueKeysWithValues: try Self.verified("handoff").map { ($0.loaded.name, $0.verdict) })
        #expect(results["stack_none"]?.program?.stackDepthLine == "stack depth 0")
        #expect(results["stack_narrow"]?.program?.stackDepthLine == "stack depth 16")
        #expect(results["stack_narrow"]?.program?.maxCombinedStackDepth == 32)
        let two = try #require(results["stack_two_frames"]?.program)
        #expect(two.subprograms.count == 2)
        #expect(two.subprograms.allSatisfy { $0.stackDepth > 0 && $0.stackDepth % 8 == 0 })
        #expect(two.maxCombinedStackDepth == two.subprograms.map { ($0.stackDepth + 31) / 32 * 32 }.reduce(0, +))
    }

    @Test("stack depth as the kernel prints it", .needsKernel, arguments: corpora)
    func stackDepthAgreesWithKernel(corpus: String) throws {
        let path = try Support.compile(corpus)
        let simulated = Dictionary(uniqueKeysWithValues: try Self.verified(corpus).map { ($0.loaded.name, $0.verdict) })
        let kernel = try KernelFixture.withNamespace { namespace in
            try namespace.run { try KernelProgramLoader.verify(path: path, logLevel: 1 | 4) }
        }
        var compared = 0
        for k in kernel where k.accepted {
            guard let line = k.log.split(separator: "\n").last(where: { $0.hasPrefix("stack depth ") }) else {
                Issue.record("\(corpus)/\(k.program): no stack depth line in the kernel's log")
                continue
            }
            let program = try #require(simulated[k.program]?.program, "\(corpus)/\(k.program)")
            #expect(program.stackDepthLine == String(line), "\(corpus)/\(k.program)")
            compared += 1
        }
        #expect(compared > 0)
    }
}
