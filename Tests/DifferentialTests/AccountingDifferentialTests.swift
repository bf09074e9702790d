import Conntrack
import CtsimTesting
import Foundation
import KernelBackend
import Packets
import SampleCaptures
import Testing

/// `nf_conntrack_acct=1`: the model's per-direction packet and byte counters against the live
/// kernel's, entry by entry, exactly (the rest of the table compared as in
/// `ModelDifferentialTests`).
@Suite("Accounting against the live kernel")
struct AccountingDifferentialTests {
    /// A few generated captures (each a mix of TCP, UDP, ICMP, IPv6 and fragments with loss,
    /// reordering, retransmissions and RSTs).
    static let seeds: [UInt64] = [3, 17, 29, 42, 58, 71, 96, 113, 137, 164, 181, 199]

    /// The model's table with its counters, as kernel entries.
    static func track(_ capture: Capture, sysctls: [(key: String, value: String)]) throws -> ModelTable {
        var settings = ConntrackSysctls()
        for (key, value) in sysctls { try settings.set(key, value) }
        let model = ConntrackModel(sysctls: settings, hz: 250)
        for packet in capture.packets {
            packet.data.withUnsafeBytes {
                _ = model.process(frame: $0, linkType: capture.linkType, timestamp: packet.timestamp)
            }
        }
        model.sweep()
        var table = ModelTable(entries: [], remaining: [:])
        for entry in model.entries {
            var converted = KernelConntrackEntry(model: entry, now: model.now, hz: model.hz)
            if let counters = model.counters(for: entry) {
                converted.originalCounters = .init(packets: counters.originalPackets, bytes: counters.originalBytes)
                converted.replyCounters = .init(packets: counters.replyPackets, bytes: counters.replyBytes)
            }
            table.entries.append(converted)
            table.remaining[TableComparison.EntryKey(converted)] = Double(entry.timeout - model.now) / Double(model.hz)
        }
        return table
    }

    /// Counter mismatches between entries both tables hold (missing counters count as one).
    static func counterDifferences(kernel: [KernelConntrackEntry], model: [KernelConntrackEntry]) -> [String] {
        var modelByKey: [TableComparison.EntryKey: KernelConntrackEntry] = [:]
        for entry in model { modelByKey[TableComparison.EntryKey(entry)] = entry }
        var differences: [String] = []
        for k in kernel {
            let key = TableComparison.EntryKey(k)
            guard let m = modelByKey[key] else { continue }
            func text(_ c: KernelConntrackEntry.Counters?) -> String {
                c.map { "packets=\($0.packets) bytes=\($0.bytes)" } ?? "none"
            }
            if k.originalCounters != m.originalCounters || k.replyCounters != m.replyCounters {
                differences.append(
                    "\(key): kernel \(text(k.originalCounters)) / \(text(k.replyCounters)), "
                        + "model \(text(m.originalCounters)) / \(text(m.replyCounters))")
            }
        }
        return differences
    }

    static func check(_ capture: Capture, sysctls: [(key: String, value: String)], label: String) async throws {
        let settings = sysctls + [(key: "net.netfilter.nf_conntrack_acct", value: "1")]
        let model = try track(capture, sysctls: settings)
        let kernel = try await KernelReplay.replayConcurrently(capture, sysctls: settings)
        #expect(kernel.report.skipped.isEmpty)
        // The kernel really counted: every entry it lists carries counters in both directions.
        #expect(kernel.entries.allSatisfy { $0.originalCounters != nil && $0.replyCounters != nil }, "\(label)")
        #expect(model.entries.allSatisfy { $0.originalCounters != nil && $0.replyCounters != nil }, "\(label)")
        let differences = ModelDifferentialTests.differences(kernel: kernel, model: model)
        let report = TableComparison.report(
            differences, left: kernel.entries, right: model.entries, names: ("kernel", "model"))
        #expect(differences.isEmpty, "\(label): \(report)")
        let counters = counterDifferences(kernel: kernel.entries, model: model.entries)
        #expect(counters.isEmpty, "\(label): \(counters.joined(separator: "\n"))")
    }

    @Test("every sample capture, counted", .needsKernel, arguments: SampleCatalog.all.map(\.name))
    func sample(_ name: String) async throws {
        let capture = try Capture(contentsOf: differentialPackageRoot + "/Pcaps/" + name)
        try await Self.check(capture, sysctls: [], label: name)
    }

    @Test("generated captures, counted", .needsKernel, arguments: seeds)
    func generated(seed: UInt64) async throws {
        let generated = TrafficGenerator.capture(seed: seed)
        try await Self.check(generated.sample.capture, sysctls: generated.routerSysctls, label: "seed \(seed)")
    }
}
