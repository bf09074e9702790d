import ArgumentParser
import Conntrack
import Packets

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `ctsim track PCAP...`: native connection tracking of captures by the conntrack model.
struct Track: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Track captures as a Linux router's conntrack would, and print the final table.",
        discussion: """
            Every packet goes through the conntrack model as if it arrived at a Linux router's \
            PREROUTING hook and were forwarded: IPv4/IPv6 reassembly, checksum validation, the TCP, UDP, \
            ICMP/ICMPv6 and generic trackers, zone 0, the sysctls of a fresh network namespace unless \
            --sysctl or --sysctl-file say otherwise. The clock is the captures' own (HZ 250); "now" at \
            the end is the last packet's timestamp. Several captures are tracked one after the other \
            into one table.

            Text: the final table in the format of `conntrack -L -o extended`. --json: \
            {"packets": N, "conntrack": [ENTRY...], ...}. --events: the NEW/UPDATE/DESTROY events \
            as `conntrack -E -o extended` prints them, as they happen, before the table. Malformed \
            packets are counted as conntrack counts them (invalid), never an error; an unreadable or \
            malformed capture file is (exit 2).
            """
    )

    @Argument(help: ArgumentHelp("Capture files, tracked in order.", valueName: "PCAP"))
    var files: [String]

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Flag(help: "Print the event stream (NEW, UPDATE, DESTROY) as it happens.")
    var events = false

    @Option(name: .customLong("sysctl"), help: ArgumentHelp("Set a conntrack sysctl, e.g. net.netfilter.nf_conntrack_tcp_loose=0.", valueName: "KEY=VALUE"))
    var sysctlSettings: [String] = []

    @Option(help: ArgumentHelp("A file of sysctl settings (key = value lines).", valueName: "FILE"))
    var sysctlFile: String?

    @Option(help: ArgumentHelp("Jiffies per second of the simulated kernel.", valueName: "HZ"))
    var hz = 250

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one capture file") }
        guard (1...10_000).contains(hz) else { throw ValidationError("--hz must be between 1 and 10000") }
    }

    func sysctls() throws -> ConntrackSysctls {
        var sysctls = ConntrackSysctls()
        do {
            if let sysctlFile {
                guard let text = readTextFile(sysctlFile) else {
                    throw CommandFailure(.badInput, "\(sysctlFile): cannot read the sysctl file")
                }
                try sysctls.apply(file: text, name: sysctlFile)
            }
            for setting in sysctlSettings {
                guard let equals = setting.firstIndex(of: "=") else {
                    throw CommandFailure(.badInput, "--sysctl expects KEY=VALUE, got '\(setting)'")
                }
                try sysctls.set(String(setting[..<equals]), String(setting[setting.index(after: equals)...]))
            }
        } catch let error as ConntrackError {
            throw CommandFailure(.badInput, error.message)
        }
        return sysctls
    }

    func run() throws {
        let model = ConntrackModel(sysctls: try sysctls(), hz: hz)
        model.recordsEvents = events
        var eventLines: [JSON] = []
        var progress = Progress()
        for path in files {
            do {
                try track(path, model, &progress, &eventLines)
            } catch {
                progress.clear()
                throw CommandFailure(.badInput, error.description)
            }
        }
        model.sweep()
        flushEvents(model, &eventLines)
        progress.clear()
        if json {
            var members: [(String, JSON)] = [
                ("packets", .int(model.statistics.packets)),
                ("conntrack", .array(model.entries.map { $0.json(now: model.now, hz: model.hz, counters: model.counters(for: $0)) })),
                ("statistics", model.statistics.json),
            ]
            if events { members.append(("events", .array(eventLines))) }
            Output.out(JSON.object(members).serialized())
        } else {
            for entry in model.entries {
                Output.out(entry.conntrackListLine(now: model.now, hz: model.hz, counters: model.counters(for: entry)))
            }
        }
    }

    private func track(_ path: String, _ model: ConntrackModel, _ progress: inout Progress, _ eventLines: inout [JSON])
        throws(CaptureError)
    {
        let reader = try CaptureReader(path: path)
        let linkType = reader.linkType
        while try reader.withNextPacket({ _, timestamp, _, bytes in
            model.process(frame: bytes, linkType: linkType, timestamp: timestamp)
        }) {
            if events, !model.events.isEmpty { flushEvents(model, &eventLines) }
            if reader.count & 0xFFFF == 0 { progress.update(path: path, packets: reader.count, fileSize: reader.fileSize) }
        }
    }

    private func flushEvents(_ model: ConntrackModel, _ eventLines: inout [JSON]) {
        guard events else { return }
        for event in model.events {
            if json {
                eventLines.append(event.json(hz: model.hz))
            } else {
                Output.out(event.line())
            }
        }
        model.events.removeAll(keepingCapacity: true)
    }
}

/// A one-line progress report on stderr, only when stderr is a terminal and the run has taken
/// more than a second.
struct Progress {
    private let start = Stopwatch()
    private let enabled = isatty(2) != 0
    private var shown = false

    mutating func update(path: String, packets: Int, fileSize: Int) {
        guard enabled, start.elapsed().wall > 1 else { return }
        shown = true
        Output.flush()
        let line = "\r\(path): \(packets) packets..."
        _ = line.withCString { write(2, $0, strlen($0)) }
    }

    mutating func clear() {
        guard shown else { return }
        shown = false
        let line = "\r\u{1B}[K"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}

func readTextFile(_ path: String) -> String? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n > 0 { bytes += buffer[0..<n] }
        if n < buffer.count { break }
        if bytes.count > 1 << 24 { return nil }
    }
    if ferror(file) != 0 { return nil }
    return String(decoding: bytes, as: UTF8.self)
}
