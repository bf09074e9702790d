import BPFObject
import Conntrack
import Foundation
import Packets
import Replay

/// The text, JSON and capture outputs of `ctsim replay`.
enum ReplayOutput {
    static func json(_ result: ReplayResult) -> JSON {
        .object([
            ("program", .string(result.program)), ("type", .string(ReplaySupport.typeName(result.type))),
            ("packets", .int(result.results.count)),
            ("results", .array(result.results.map(packet))),
            ("counts", .object(result.counts.map { ($0.0, .int($0.1)) })),
            ("globals", .object(result.globals.map { ($0.name, ReplaySupport.json($0.value)) })),
            ("conntrack", .array(result.conntrack.map { $0.json(now: result.now, hz: result.hz) })),
        ])
    }

    static func packet(_ r: ReplayResult.PacketResult) -> JSON {
        var members: [(String, JSON)] = [("index", .int(r.index))]
        if let value = r.returnValue {
            members += [("retval", .uint(value)), ("action", .string(r.action ?? ""))]
        } else {
            members += [("retval", .null), ("action", .null)]
        }
        if let skipped = r.skipped { members.append(("skipped", .string(skipped))) }
        if let fault = r.fault { members.append(("fault", .string(fault))) }
        if !r.kfuncCalls.isEmpty {
            members.append(("kfuncs", .array(r.kfuncCalls.map { .string($0.description) })))
        }
        if !r.events.isEmpty {
            members.append(("events", .array(r.events.map { .string("[\($0.kind.rawValue)] \($0.entry.original)") })))
        }
        return .object(members)
    }

    static func text(_ result: ReplayResult, trace: Bool) {
        Output.out("\(result.program): \(ReplaySupport.typeName(result.type)), \(result.results.count) packets")
        for r in result.results where trace || r.fault != nil || r.skipped != nil {
            var line = "  #\(r.index): "
            if let value = r.returnValue { line += "\(r.action ?? "") (\(Int64(bitPattern: value)))" }
            if let fault = r.fault { line += "fault: \(fault)" }
            if let skipped = r.skipped { line += "skipped: \(skipped)" }
            Output.out(line)
            for call in r.kfuncCalls { Output.out("      \(call)") }
            for event in r.events { Output.out("      [\(event.kind.rawValue)] \(event.entry.original)") }
        }
        Output.out("verdicts")
        for (name, count) in result.counts { Output.out("  \(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(count)") }
        if !result.globals.isEmpty {
            Output.out("globals")
            for g in result.globals { Output.out("  \(g.name) = \(g.value)") }
        }
        Output.out("conntrack (\(result.conntrack.count) entries)")
        for entry in result.conntrack {
            Output.out("  " + entry.conntrackListLine(now: result.now, hz: result.hz, extended: false))
        }
    }

    /// One pcap per verdict, named by the action (`pass.pcap`, `drop.pcap`, ...), with the packets
    /// as the program left them.
    static func writeVerdictCaptures(_ result: ReplayResult, capture: Capture, directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure(.badInput, "\(directory): cannot create the directory")
        }
        var writers: [String: CaptureWriter] = [:]
        do {
            for r in result.results {
                guard let action = r.action, let bytes = r.output else { continue }
                let name = fileName(action)
                if writers[name] == nil {
                    writers[name] = try CaptureWriter(path: directory + "/" + name + ".pcap", linkType: .ethernet)
                }
                try writers[name]!.write(bytes, timestamp: capture.packets[r.index].timestamp)
            }
            for writer in writers.values { try writer.close() }
        } catch {
            throw CommandFailure(.badInput, "\(directory): \(error)")
        }
    }

    /// `XDP_PASS` → `pass`, `TC_ACT_SHOT` → `shot`.
    static func fileName(_ action: String) -> String {
        var name = action
        for prefix in ["XDP_", "TC_ACT_"] where name.hasPrefix(prefix) { name.removeFirst(prefix.count) }
        return name.lowercased().replacingOccurrences(of: "(", with: "-").replacingOccurrences(of: ")", with: "")
    }
}
