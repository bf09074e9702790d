import Conntrack
import CtsimTesting
import Foundation
import KernelBackend
import Packets
import SampleCaptures
import Testing

/// The model's table after a capture, in the kernel entry type so both compare field by field.
struct ModelTable {
    var entries: [KernelConntrackEntry]
    /// Exact remaining seconds (timeout minus the model's clock, in jiffies over HZ) per entry.
    var remaining: [TableComparison.EntryKey: Double]

    /// Runs `capture` through a fresh `ConntrackModel` with `sysctls` and HZ 250, sweeps at the
    /// last packet's time, and converts the table.
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
            let converted = KernelConntrackEntry(model: entry, now: model.now, hz: model.hz)
            table.entries.append(converted)
            table.remaining[TableComparison.EntryKey(converted)] = Double(entry.timeout - model.now) / Double(model.hz)
        }
        return table
    }
}

extension KernelConntrackEntry {
    /// The model's entry as `conntrack -L` would show it at `now` (jiffies).
    init(model entry: ConntrackEntry, now: Int64, hz: Int64) {
        func tuple(_ t: ConntrackTuple) -> Tuple {
            let layer4: Layer4
            if t.isICMP {
                layer4 = .icmp(
                    type: UInt8(t.destinationPort >> 8), code: UInt8(t.destinationPort & 0xFF), id: t.sourcePort)
            } else if t.hasPorts || t.protocolNumber == 47 {
                layer4 = .ports(source: t.sourcePort, destination: t.destinationPort)
            } else {
                layer4 = .none
            }
            return Tuple(source: t.source, destination: t.destination, layer4: layer4)
        }
        self.init(
            family: entry.isIPv6 ? .ipv6 : .ipv4, protocolNumber: entry.protocolNumber, original: tuple(entry.original),
            reply: tuple(entry.reply), tcpState: entry.tcpState, status: entry.status,
            timeout: UInt32(clamping: entry.remainingSeconds(now: now, hz: hz)), mark: entry.mark, zone: entry.zone)
        sctpState = entry.sctpState
    }
}

/// The proof: captures replayed into the live kernel and tracked by the model give the same
/// table, entry by entry.
@Suite("Model against the live kernel")
struct ModelDifferentialTests {
    /// Compares the kernel's table with the model's. A kernel timeout must lie between the model's
    /// exact remaining time less the replay's slack and the model's exact remaining time (each
    /// truncated to whole seconds as `conntrack -L` does, with 20 ms for jiffy rounding).
    static func differences(kernel: KernelReplayResult, model: ModelTable) -> [TableDifference] {
        TableComparison.differences(
            kernel.entries, model.entries, names: ("kernel", "model"),
            allowedTimeouts: { _, m in
                guard let exact = model.remaining[TableComparison.EntryKey(m)] else {
                    return Int(m.timeout)...Int(m.timeout)
                }
                let low = max(0, Int((exact - kernel.slack - 0.02).rounded(.down)))
                let high = max(0, Int((exact + 0.02).rounded(.down)))
                return low...high
            })
    }

    static func check(_ capture: Capture, sysctls: [(key: String, value: String)], label: String) async throws {
        let model = try ModelTable.track(capture, sysctls: sysctls)
        let kernel = try await KernelReplay.replayConcurrently(capture, sysctls: sysctls)
        #expect(kernel.report.skipped.isEmpty)
        let differences = Self.differences(kernel: kernel, model: model)
        let report = TableComparison.report(
            differences, left: kernel.entries, right: model.entries, names: ("kernel", "model"))
        #expect(differences.isEmpty, "\(label): \(report)")
    }

    @Test("every sample capture", .needsKernel, arguments: SampleCatalog.all.map(\.name))
    func sample(_ name: String) async throws {
        let capture = try Capture(contentsOf: differentialPackageRoot + "/Pcaps/" + name)
        try await Self.check(capture, sysctls: [], label: name)
    }

    @Test("generated captures", .needsKernel, arguments: GeneratedCorpus.seeds)
    func generated(seed: UInt64) async throws {
        let generated = TrafficGenerator.capture(seed: seed)
        let scenarios = generated.flows.map(\.scenario.rawValue).joined(separator: ", ")
        try await Self.check(
            generated.sample.capture, sysctls: generated.routerSysctls,
            label:
                "seed \(seed) (\(generated.mix.rawValue): \(scenarios))"
        )
    }
}

let differentialPackageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
