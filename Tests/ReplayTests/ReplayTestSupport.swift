import BPFObject
import BPFVM
import Conntrack
import Foundation
import KernelBackend
import Packets
import Replay

/// Paths of the project's BPF objects and samples, from this file's path.
enum ReplayTestFiles {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func object(_ name: String) -> String { root + "/bpf/build/" + name + ".bpf.o" }
    static var firewall: String { object("xdp_ct_firewall") }

    /// Every capture in Pcaps/.
    static var samples: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/Pcaps")) ?? []).filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }

    static func sample(_ name: String) -> String { root + "/Pcaps/" + name }

    static func session(_ path: String, program: String? = nil, jit: Bool = MachineConfiguration.jitDefault) throws -> ProgramSession {
        let data = try #require(FileManager.default.contents(atPath: path), "\(path) (run make bpf)")
        let file = try BPFObjectFile(bytes: [UInt8](data), fileName: path)
        return try ProgramSession(file: file, programName: program, jit: jit)
    }
}

/// The differential check every example program is held to: the simulator's replay of a capture
/// against the live kernel's (`KernelReplay`, one BPF_PROG_TEST_RUN per packet in a fresh
/// namespace).
enum ExampleDifferential {
    /// Replays `capture` through the program of the object at `path` on both sides and expects:
    /// the kernel accepts it; the same packets run or skipped, no fault, the same return value
    /// per packet; the same globals (every `.bss`/`.data`/`.rodata` variable by BTF name); the
    /// same table (entries by original tuple with equal reply tuple, status, mark and zone,
    /// timeouts within the capture's span plus 2 s: the kernel's clock is the wall clock of the
    /// runs, the simulator's the capture's).
    ///
    /// - Returns: the number of packets compared.
    @discardableResult
    static func compare(objectPath path: String, capture: Capture, label: String) throws -> Int {
        let session = try ReplayTestFiles.session(path)
        let simulated = CaptureReplay.run(session, capture: capture)
        let kernel = try KernelReplay.run(objectPath: path, program: nil, capture: capture)
        #expect(kernel.verification.accepted, "\(label): rejected by the kernel: \(kernel.verification.error ?? "")")
        #expect(simulated.results.count == kernel.results.count, "\(label)")
        for (s, k) in zip(simulated.results, kernel.results) {
            #expect(s.skipped == k.skipped, "\(label) packet \(s.index)")
            #expect(s.fault == nil, "\(label) packet \(s.index): \(s.fault ?? "")")
            #expect(
                s.returnValue.map { UInt32(truncatingIfNeeded: $0) } == k.returnValue,
                "\(label) packet \(s.index): simulated \(s.action ?? "-"), kernel \(k.action ?? "-")")
        }
        let kernelGlobals = Dictionary(kernel.globals.map { ($0.name, $0.value.description) }, uniquingKeysWith: { a, _ in a })
        #expect(simulated.globals.count == kernel.globals.count, "\(label)")
        for g in simulated.globals {
            #expect(kernelGlobals[g.name] == g.value.description, "\(label) global \(g.name)")
        }
        let span =
            Int64(((capture.packets.last?.timestamp.nanoseconds ?? 0) - (capture.packets.first?.timestamp.nanoseconds ?? 0)) / 1_000_000_000) + 2
        #expect(simulated.conntrack.count == kernel.conntrack.count, "\(label): table sizes")
        for k in kernel.conntrack {
            guard let s = simulated.conntrack.first(where: { $0.original.description == k.original.description }) else {
                Issue.record("\(label): the kernel's entry \(k.original) is not in the simulated table")
                continue
            }
            #expect(s.reply.description == k.reply.description, "\(label) \(k.original)")
            #expect(s.status == k.status, "\(label) \(k.original)")
            #expect(s.mark == k.mark, "\(label) \(k.original)")
            #expect(s.zone == k.zone, "\(label) \(k.original)")
            let left = s.remainingSeconds(now: simulated.now, hz: simulated.hz)
            #expect(abs(left - Int64(k.timeout)) <= span, "\(label) \(k.original): timeout \(left) vs \(k.timeout)")
        }
        return kernel.results.count
    }
}

import Testing
