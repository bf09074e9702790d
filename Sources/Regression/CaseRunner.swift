import BPFObject
import Conntrack
import ConntrackKfuncs
import Foundation
import Packets
import Replay

/// Runs one case exactly as `ctsim replay` runs a program over a capture: load the object into a
/// `ProgramSession` with the case's kernel profile and a conntrack model with its sysctls,
/// verify (a rejected program is recorded, not run), then `CaptureReplay.run` over each capture
/// in turn on the same session (one table, the captures' own clocks).
public enum CaseRunner {
    /// - Throws: `RegressionError` when the object, program or a capture cannot be used.
    public static func run(_ c: RegressionCase, suite: String) throws(RegressionError) -> CaseResult {
        func failure(_ message: String) -> RegressionError {
            RegressionError(.load, message, suite: suite, line: c.line, caseName: c.name)
        }
        guard let data = FileManager.default.contents(atPath: c.objectPath) else {
            throw failure("object \(c.objectName): cannot read the file")
        }
        let file: BPFObjectFile
        do {
            file = try BPFObjectFile(bytes: [UInt8](data), fileName: c.objectPath)
        } catch {
            throw failure("object \(c.objectName): \(error)")
        }
        var sysctls = ConntrackSysctls()
        for setting in c.sysctls {
            do { try sysctls.set(setting.name, setting.value) } catch { throw failure(error.message) }
        }
        let session: ProgramSession
        do {
            session = try ProgramSession(
                file: file, programName: c.program, profile: c.kernel, model: ConntrackModel(sysctls: sysctls))
        } catch {
            throw failure("object \(c.objectName): \(error.message)")
        }
        var captures: [Capture] = []
        for (name, path) in zip(c.captureNames, c.capturePaths) {
            do {
                captures.append(try Capture(contentsOf: path))
            } catch {
                throw failure("capture \(name): \(error.message)\(error.packet.map { " (packet \($0))" } ?? "")")
            }
        }
        var result = CaseResult(
            name: c.name, object: c.objectName, program: session.name, type: session.type == .xdp ? "xdp" : "tc",
            kernel: c.kernel.version,
            captures: c.captureNames, verifier: CaseResult.Verifier(accepted: true, error: nil), packets: [],
            conntrack: [], globals: [:],
            trace: nil)
        if c.options.verify {
            let verdict = session.verification  // verified once, when the session loaded it
            result.verifier = CaseResult.Verifier(
                accepted: verdict.accepted, error: verdict.accepted ? nil : verdict.error ?? "(no message)")
            if !verdict.accepted {
                result.globals = globals(session.globals)
                return result
            }
        }
        var options = ReplayOptions()
        options.trace = c.options.trace
        options.track = c.options.track
        options.keepOutput = c.options.output
        var trace = ""
        var last: ReplayResult?
        for (position, capture) in captures.enumerated() {
            let replay = CaptureReplay.run(session, capture: capture, options: options)
            for packet in replay.results {
                var p = CaseResult.Packet(
                    capture: position, index: packet.index, action: packet.action, retval: packet.returnValue,
                    fault: packet.fault,
                    skipped: packet.skipped)
                if let output = packet.output, packet.returnValue != nil,
                    output
                        != CaptureReplay.ethernetFrame(capture.packets[packet.index].data, linkType: capture.linkType)
                        .frame
                {
                    p.rewritten = String(SHA256.hex(output).prefix(16))
                }
                result.packets.append(p)
                if c.options.trace { trace += traceText(packet, capture: position) }
            }
            last = replay
        }
        if let last {
            result.conntrack = last.conntrack.map { entry($0, now: last.now, hz: last.hz) }
            result.globals = globals(last.globals)
        }
        if c.options.trace {
            result.trace = CaseResult.Trace(
                sha256: SHA256.hex(trace), lines: trace.utf8.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 })
        }
        return result
    }

    /// The trace text of one packet, as the digest covers it: `#CAPTURE.INDEX` then one line per
    /// kfunc call (`ctsim replay --trace`'s text) and per conntrack event; nothing for a packet
    /// with neither.
    public static func traceText(_ packet: ReplayResult.PacketResult, capture: Int) -> String {
        guard !packet.kfuncCalls.isEmpty || !packet.events.isEmpty else { return "" }
        var text = "#\(capture).\(packet.index)\n"
        for call in packet.kfuncCalls { text += "  \(call)\n" }
        for event in packet.events { text += "  [\(event.kind.rawValue)] \(event.entry.original)\n" }
        return text
    }

    static func tuple(_ t: ConntrackTuple) -> CaseResult.Tuple {
        var tuple = CaseResult.Tuple(src: t.source.description, dst: t.destination.description)
        if t.isICMP {
            tuple.type = Int(t.icmpType)
            tuple.code = Int(t.icmpCode)
            tuple.id = Int(t.icmpID)
        } else if t.hasPorts {
            tuple.sport = Int(t.sourcePort)
            tuple.dport = Int(t.destinationPort)
        }
        return tuple
    }

    static func entry(_ e: ConntrackEntry, now: Int64, hz: Int64) -> CaseResult.Entry {
        let name = ConntrackListFormat.protocolName(e.protocolNumber)
        return CaseResult.Entry(
            family: e.isIPv6 ? "ipv6" : "ipv4", protocol: name == "unknown" ? String(e.protocolNumber) : name,
            state: e.tcpState?.name,
            timeout: e.remainingSeconds(now: now, hz: hz), original: tuple(e.original), reply: tuple(e.reply),
            status: e.status.names,
            mark: e.mark, zone: e.zone)
    }

    static func value(_ v: GlobalValue) -> CaseResult.Value {
        switch v {
        case .signed(let x): .int(x)
        case .unsigned(let x): .unsigned(x)
        case .array(let items): .list(items.map(value))
        case .structure(let fields):
            .fields(
                Dictionary(
                    fields.enumerated().map { ($1.name.isEmpty ? "#\($0)" : $1.name, value($1.value)) },
                    uniquingKeysWith: { a, _ in a }))
        }
    }

    static func globals(_ variables: [GlobalVariable]) -> [String: CaseResult.Value] {
        var counts: [String: Int] = [:]
        for v in variables { counts[v.name, default: 0] += 1 }
        var result: [String: CaseResult.Value] = [:]
        for v in variables {
            result[counts[v.name]! > 1 ? "\(v.name) (\(v.section))" : v.name] = value(v.value)
        }
        return result
    }
}
