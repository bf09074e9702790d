import ArgumentParser
import Packets

/// `ctsim pcap-info PCAP...`: what is in a capture.
struct PcapInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pcap-info",
        abstract: "Summarise captures: packets, bytes, link type, time span, protocols and flows.",
        discussion: """
            Reads pcap and pcapng files (any snapshot length, microsecond or nanosecond timestamps; \
            link types Ethernet, Linux cooked v1/v2, raw IPv4/IPv6, loopback), dissects every packet \
            and prints, per file, the totals, the time span and a breakdown by protocol with the \
            number of bidirectional flows. Malformed packets are counted and the first ones listed \
            with the layer and byte that is wrong. A truncated or unreadable file is an error (exit 2) \
            naming the file and the packet or byte offset.
            """
    )

    @Argument(help: ArgumentHelp("Capture files to summarise.", valueName: "PCAP"))
    var files: [String]

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one capture file") }
    }

    func run() throws {
        var reports: [CaptureReport] = []
        var failures: [CaptureError] = []
        for path in files {
            do {
                reports.append(try CaptureReport(path: path))
            } catch {
                failures.append(error)
            }
        }
        if !failures.isEmpty {
            for failure in failures.dropLast() { Output.err("ctsim: \(failure)") }
            throw CommandFailure(.badInput, failures.last!.description)
        }
        if json {
            Output.out(JSON.object([("files", .array(reports.map(\.json)))]).serialized())
        } else {
            Output.out(reports.map(\.text).joined(separator: "\n"))
        }
    }
}

/// The summary of one capture file.
struct CaptureReport {
    var path: String
    var format: CaptureFormat
    var linkType: LinkType
    var snapshotLength: Int
    var fileSize: Int
    var statistics = CaptureStatistics()

    init(path: String) throws(CaptureError) {
        let reader = try CaptureReader(path: path)
        self.path = path
        format = reader.format
        linkType = reader.linkType
        snapshotLength = reader.snapshotLength
        fileSize = reader.fileSize
        let dissector = Dissector(linkType: linkType)
        var statistics = CaptureStatistics()
        let supported = linkType.isSupported
        while let packet = try reader.next() {
            if supported {
                statistics.add(packet, dissector.dissect(packet))
            } else {
                statistics.addUndissected(packet)
            }
        }
        self.statistics = statistics
    }

    private var protocolRows: [(String, ProtocolCount)] {
        let order = ["tcp", "udp", "icmp", "icmpv6", "fragment", "arp", "non-ip", "malformed"]
        return statistics.protocols.sorted { a, b in
            let ia = order.firstIndex(of: a.key) ?? (a.key.hasPrefix("ip-proto") ? 4 : order.count)
            let ib = order.firstIndex(of: b.key) ?? (b.key.hasPrefix("ip-proto") ? 4 : order.count)
            return ia != ib ? ia < ib : a.key < b.key
        }
    }

    var text: String {
        let s = statistics
        var lines = [path]
        lines.append("  format      \(format), snaplen \(snapshotLength)")
        lines.append("  link type   \(linkType.name) (\(linkType.summary))")
        if !linkType.isSupported {
            lines.append("  note        packets of this link type are counted, not dissected")
        }
        lines.append("  packets     \(s.packets)")
        lines.append("  bytes       \(s.bytesCaptured) captured, \(s.bytesOnWire) on the wire")
        if let first = s.first, let last = s.last {
            lines.append("  first       \(first)")
            lines.append("  last        \(last)")
            lines.append("  duration    \(formatSeconds(s.duration)) s")
        }
        if !s.protocols.isEmpty {
            lines.append("  " + pad("protocol", 12, left: true) + pad("packets", 10) + pad("bytes", 12) + pad("flows", 8))
            for (name, count) in protocolRows {
                lines.append(
                    "  " + pad(name, 12, left: true) + pad("\(count.packets)", 10) + pad("\(count.bytes)", 12)
                        + pad("\(count.flows)", 8))
            }
            lines.append(
                "  " + pad("total", 12, left: true) + pad("\(s.packets)", 10) + pad("\(s.bytesOnWire)", 12)
                    + pad("\(s.flows)", 8))
        }
        lines.append(
            "  fragments \(s.fragments), vlan-tagged \(s.vlanTagged), cut by snaplen \(s.cutBySnapshotLength), "
                + "checksum errors \(s.checksumErrors), malformed \(s.malformed)"
                + (s.outOfOrder > 0 ? ", out of order \(s.outOfOrder)" : ""))
        for problem in s.problems {
            lines.append("  malformed packet \(problem.packet): \(problem.error)")
        }
        if s.malformed > s.problems.count {
            lines.append("  ... and \(s.malformed - s.problems.count) more malformed packets")
        }
        return lines.joined(separator: "\n")
    }

    var json: JSON {
        let s = statistics
        return .object([
            ("path", .string(path)),
            ("format", .string(format.container.rawValue)),
            ("timestamp_precision", .string(format.precision.rawValue)),
            ("link_type", .object([("name", .string(linkType.name)), ("dlt", .int(Int(linkType.rawValue)))])),
            ("snaplen", .int(snapshotLength)),
            ("file_size", .int(fileSize)),
            ("packets", .int(s.packets)),
            ("bytes_captured", .int(s.bytesCaptured)),
            ("bytes_on_wire", .int(s.bytesOnWire)),
            ("first_timestamp", s.first.map { .string($0.description) } ?? .null),
            ("last_timestamp", s.last.map { .string($0.description) } ?? .null),
            ("first_timestamp_ns", s.first.map { .int($0.nanoseconds) } ?? .null),
            ("last_timestamp_ns", s.last.map { .int($0.nanoseconds) } ?? .null),
            ("duration_seconds", .double(s.duration)),
            ("flows", .int(s.flows)),
            (
                "protocols",
                .object(
                    protocolRows.map { name, count in
                        (
                            name,
                            .object([
                                ("packets", .int(count.packets)), ("bytes", .int(count.bytes)), ("flows", .int(count.flows)),
                            ])
                        )
                    })
            ),
            ("fragments", .int(s.fragments)),
            ("vlan_tagged", .int(s.vlanTagged)),
            ("cut_by_snaplen", .int(s.cutBySnapshotLength)),
            ("checksum_errors", .int(s.checksumErrors)),
            ("out_of_order", .int(s.outOfOrder)),
            ("malformed", .int(s.malformed)),
            (
                "problems",
                .array(
                    s.problems.map {
                        .object([
                            ("packet", .int($0.packet)), ("layer", .string($0.error.layer.rawValue)),
                            ("offset", .int($0.error.offset)), ("reason", .string($0.error.reason)),
                        ])
                    })
            ),
        ])
    }
}

func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
    guard text.count < width else { return text + " " }
    let padding = String(repeating: " ", count: width - text.count)
    return left ? text + padding : padding + text
}

func formatSeconds(_ value: Double) -> String {
    let micro = Int64((value * 1_000_000).rounded())
    let whole = micro / 1_000_000
    let fraction = String(abs(micro % 1_000_000))
    return "\(whole).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
}
