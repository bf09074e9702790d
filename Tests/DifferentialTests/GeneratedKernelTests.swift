import CtsimTesting
import Foundation
import KernelBackend
import Packets
import SampleCaptures
import Testing

extension GeneratedFlowKey {
    /// Whether `entry`'s original tuple is this flow's.
    func matches(_ entry: KernelConntrackEntry) -> Bool {
        guard entry.protocolNumber == protocolNumber, entry.original.source == source,
            entry.original.destination == destination
        else { return false }
        switch (layer4, entry.original.layer4) {
        case (.ports(let s, let d), .ports(let es, let ed)): return s == es && d == ed
        case (.icmp(let t, let i), .icmp(let et, let ec, let ei)): return t == et && ec == 0 && i == ei
        default: return false
        }
    }
}

/// Kernel-only assertions over the generated corpus: what the generator is sure the kernel does
/// with each flow, checked against the live kernel.
@Suite("Generated traffic through the live kernel")
struct GeneratedKernelTests {
    /// Checks the expectations of `generated`'s flows against `entries`; returns the problems.
    static func problems(_ generated: GeneratedCapture, _ entries: [KernelConntrackEntry]) -> [String] {
        var problems: [String] = []
        for flow in generated.flows {
            let entry = entries.first { flow.key.matches($0) }
            let name = "\(flow.scenario.rawValue) \(flow.key)"
            switch flow.expectation {
            case nil:
                continue
            case .absent:
                if let entry {
                    problems.append("\(name): expected no entry, kernel has \(entry.conntrackListLine())")
                }
            case .present(let state, let replied, let assured):
                guard let entry else {
                    problems.append("\(name): expected \(flow.expectation!), kernel has no entry")
                    continue
                }
                var wrong: [String] = []
                if entry.tcpState?.name != state { wrong.append("state \(entry.tcpState?.name ?? "-")") }
                if entry.status.contains(.seenReply) != replied {
                    wrong.append("SEEN_REPLY \(entry.status.contains(.seenReply))")
                }
                if let assured, entry.status.contains(.assured) != assured {
                    wrong.append("ASSURED \(entry.status.contains(.assured))")
                }
                if !entry.status.contains(.confirmed) { wrong.append("not CONFIRMED") }
                if entry.mark != 0 || entry.zone != 0 { wrong.append("mark \(entry.mark) zone \(entry.zone)") }
                if !wrong.isEmpty {
                    let found = wrong.joined(separator: ", ")
                    problems.append(
                        "\(name): expected \(flow.expectation!), kernel has \(found): \(entry.conntrackListLine())")
                }
            }
        }
        // Every entry belongs to a flow: ICMP errors, fragments and the router's own ND/MLD
        // traffic create none.
        for entry in entries where !generated.flows.contains(where: { $0.key.matches(entry) }) {
            problems.append("entry of no flow: \(entry.conntrackListLine())")
        }
        return problems
    }

    @Test("each generated flow leaves the entry the generator promises", .needsKernel, arguments: GeneratedCorpus.seeds)
    func expectations(seed: UInt64) async throws {
        let generated = TrafficGenerator.capture(seed: seed)
        let result = try await KernelReplay.replayConcurrently(
            generated.sample.capture, sysctls: generated.routerSysctls)
        #expect(result.report.sent == generated.sample.packets.count)
        #expect(result.report.skipped.isEmpty)
        let problems = Self.problems(generated, result.entries)
        let table = result.entries.map { $0.conntrackListLine() }.joined(separator: "\n")
        #expect(
            problems.isEmpty,
            "seed \(seed) (\(generated.mix.rawValue)):\n\(problems.joined(separator: "\n"))\nkernel table:\n\(table)")
    }

    @Test("replaying a capture twice gives the same kernel table", .needsKernel, arguments: [UInt64(1), 4, 8, 10, 16])
    func kernelIsDeterministic(seed: UInt64) async throws {
        let generated = TrafficGenerator.capture(seed: seed)
        async let a = KernelReplay.replayConcurrently(generated.sample.capture, sysctls: generated.routerSysctls)
        async let b = KernelReplay.replayConcurrently(generated.sample.capture, sysctls: generated.routerSysctls)
        let (first, second) = try await (a, b)
        #expect(!first.entries.isEmpty)
        let slack = Int(max(first.slack, second.slack).rounded(.up)) + 1
        let differences = TableComparison.differences(
            first.entries, second.entries, names: ("first", "second"),
            allowedTimeouts: { _, b in Int(b.timeout) - slack...Int(b.timeout) + slack })
        let report = TableComparison.report(
            differences, left: first.entries, right: second.entries, names: ("first", "second"))
        #expect(differences.isEmpty, "seed \(seed): \(report)")
    }
}
