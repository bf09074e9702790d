import ArgumentParser
import Conntrack
import Packets

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `ctsim bench track`: native tracking (capture reading, parsing, conntrack) of a generated
/// capture, and the table's memory per entry.
struct BenchTrack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Native tracking throughput over a generated capture, and bytes per conntrack entry."
    )

    @Option(help: "Packets in the generated capture.")
    var packets = 1_000_000

    @Option(help: "Distinct flows in the generated capture.")
    var flows = 100_000

    @Option(help: "Entries for the memory measurement.")
    var entries = 1_000_000

    @Option(help: "Track this capture instead of generating one (its entry count is not checked).")
    var capture: String?

    @Option(help: "Tracking runs over the capture (the fastest counts).")
    var runs = 1

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard packets > 0, flows > 0, flows <= packets, entries > 0, entries <= 1 << 24, runs > 0 else {
            throw ValidationError("--packets, --flows and --entries must be positive, with flows <= packets")
        }
    }

    func run() throws {
        let path = capture ?? "/tmp/ctsim-bench-track-\(getpid()).pcap"
        defer { if capture == nil { unlink(path) } }
        if capture == nil { try TrackBenchCapture.write(path: path, packets: packets, flows: flows) }

        var best: BenchResult?
        for _ in 0..<runs {
            let model = ConntrackModel()
            let watch = Stopwatch()
            let reader = try CaptureReader(path: path)
            let linkType = reader.linkType
            while try reader.withNextPacket({ _, timestamp, _, bytes in
                model.process(frame: bytes, linkType: linkType, timestamp: timestamp)
            }) {}
            let (wall, cpu) = watch.elapsed()
            guard capture != nil || (model.statistics.tracked == packets && model.table.count == flows) else {
                throw CommandFailure(
                    .environment,
                    "bench: expected \(flows) entries from \(packets) tracked packets, got \(model.table.count) from \(model.statistics.tracked)")
            }
            let result = BenchResult(name: "read+parse+track", items: reader.count, unit: "packets", wall: wall, cpu: cpu)
            if best == nil || result.cpu < best!.cpu { best = result }
        }
        let speed = best!

        // Memory: a table of `entries` UDP entries, built through the packet path.
        var sysctls = ConntrackSysctls()
        sysctls.max = 0
        let rssBefore = residentBytes()
        let big = ConntrackModel(sysctls: sysctls)
        var packet = IPPacketBuilder(
            source: .v4(IPv4Address(10, 0, 0, 0)), destination: .v4(IPv4Address(192, 0, 2, 1)),
            transport: .udp(sourcePort: 1024, destinationPort: 53, payload: [1, 2, 3, 4])
        ).build()
        let time = Timestamp(seconds: 1_767_225_600)
        for n in 0..<entries {
            let source = UInt32(0x0A00_0000) | UInt32(n >> 4)
            let port = UInt16(1024 + n & 15)
            TrackBenchCapture.patchIPv4Source(&packet, source: source, port: port)
            packet.withUnsafeBytes { _ = big.process(ipPacket: $0, timestamp: time) }
        }
        let rssAfter = residentBytes()
        guard big.table.count == entries else {
            throw CommandFailure(.environment, "bench: \(big.table.count) entries instead of \(entries)")
        }
        let perEntry = Double(big.table.allocatedBytes) / Double(entries)
        let rssPerEntry = Double(rssAfter - rssBefore) / Double(entries)
        let entrySize = MemoryLayout<ConntrackEntry>.stride
        if json {
            Output.out(
                JSON.object([
                    ("speed", speed.json),
                    ("memory", .object([
                        ("entries", .int(entries)), ("entry_stride", .int(entrySize)),
                        ("allocated_bytes_per_entry", .double(perEntry)), ("rss_bytes_per_entry", .double(rssPerEntry)),
                    ])),
                ]).serialized())
        } else {
            Output.out(speed.text + ", \(Int((Double(speed.items) / max(speed.cpu, 1e-9)).rounded())) packets per CPU second")
            Output.out(
                "memory: \(entries) entries: \(Int(perEntry.rounded())) bytes/entry allocated (entry \(entrySize) B + index), "
                    + "\(Int(rssPerEntry.rounded())) bytes/entry resident")
        }
        withExtendedLifetime(big) {}
    }

    private func residentBytes() -> Int {
        guard let text = readTextFile("/proc/self/statm") else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// A generated Ethernet capture of TCP (picked up mid-stream, as `nf_conntrack_tcp_loose`
/// allows) and UDP flows with correct checksums.
enum TrackBenchCapture {
    static func write(path: String, packets: Int, flows: Int) throws(CaptureError) {
        let writer = try CaptureWriter(path: path, linkType: .ethernet)
        let mac = MACAddress(2, 0, 0, 0, 0, 1)
        let templates = min(flows, 4096)
        var frames: [[UInt8]] = []
        for i in 0..<templates {
            let client = IPAddress.v4(IPv4Address(198, 51, UInt8(100 + i % 4), UInt8(1 + i % 250)))
            let server = IPAddress.v4(IPv4Address(192, 0, 2, UInt8(1 + i / 1000)))
            let transport: TransportSpec =
                i % 3 == 0
                ? .udp(sourcePort: 1024, destinationPort: UInt16(2000 + i), payload: [UInt8](repeating: 0x61, count: 40))
                : .tcp(TCPSegment(sourcePort: 1024, destinationPort: UInt16(2000 + i), sequence: 1000, flags: .ack, payload: [UInt8](repeating: 0x62, count: 100)))
            let packet = IPPacketBuilder(source: client, destination: server, transport: transport).build()
            frames.append(FrameBuilder.ethernet(packet, source: mac, destination: mac))
        }
        var time = Timestamp(seconds: 1_767_225_600)
        var sequence = [UInt32](repeating: 1000, count: flows)
        for n in 0..<packets {
            let flow = n % flows
            var frame = frames[flow % templates]
            let port = UInt16(truncatingIfNeeded: 1024 + flow / templates)
            let isTCP = frame[23] == 6
            patchWord(&frame, at: 34, to: port, checksumAt: isTCP ? 50 : 40)
            if isTCP {
                // Advance the sequence so that each segment is new data, not a retransmission.
                let seq = sequence[flow]
                sequence[flow] = seq &+ 100
                patchWord(&frame, at: 38, to: UInt16(seq >> 16), checksumAt: 50)
                patchWord(&frame, at: 40, to: UInt16(seq & 0xFFFF), checksumAt: 50)
            }
            time.nanoseconds += 1_000
            try writer.write(frame, timestamp: time)
        }
        try writer.close()
    }

    /// Replaces the 16-bit word at `offset` and updates the checksum at `checksumAt` (RFC 1624).
    static func patchWord(_ bytes: inout [UInt8], at offset: Int, to value: UInt16, checksumAt: Int) {
        let old = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(value & 0xFF)
        let check = UInt16(bytes[checksumAt]) << 8 | UInt16(bytes[checksumAt + 1])
        var sum = UInt32(~check) + UInt32(~old) + UInt32(value)
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        var result = ~UInt16(sum)
        if result == 0, bytes[checksumAt] == 0, bytes[checksumAt + 1] == 0 { result = 0 }
        bytes[checksumAt] = UInt8(result >> 8)
        bytes[checksumAt + 1] = UInt8(result & 0xFF)
    }

    /// Sets the IPv4 source address and UDP source port of a raw IPv4/UDP packet, fixing both checksums.
    static func patchIPv4Source(_ packet: inout [UInt8], source: UInt32, port: UInt16) {
        let udpChecksum = 20 + 6
        patchWord(&packet, at: 12, to: UInt16(source >> 16), checksumAt: 10)
        patchWord(&packet, at: 14, to: UInt16(source & 0xFFFF), checksumAt: 10)
        // The UDP pseudo header covers the source address too.
        recomputeUDPChecksum(&packet)
        patchWord(&packet, at: 20, to: port, checksumAt: udpChecksum)
    }

    private static func recomputeUDPChecksum(_ packet: inout [UInt8]) {
        // Recompute the UDP checksum from scratch (the address words changed under it).
        packet[26] = 0
        packet[27] = 0
        let length = packet.count - 20
        var sum: UInt32 = 0
        func add(_ w: UInt16) { sum += UInt32(w) }
        add(UInt16(packet[12]) << 8 | UInt16(packet[13]))
        add(UInt16(packet[14]) << 8 | UInt16(packet[15]))
        add(UInt16(packet[16]) << 8 | UInt16(packet[17]))
        add(UInt16(packet[18]) << 8 | UInt16(packet[19]))
        add(17)
        add(UInt16(length))
        var i = 20
        while i + 1 < packet.count {
            add(UInt16(packet[i]) << 8 | UInt16(packet[i + 1]))
            i += 2
        }
        if i < packet.count { add(UInt16(packet[i]) << 8) }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        var check = ~UInt16(sum)
        if check == 0 { check = 0xFFFF }
        packet[26] = UInt8(check >> 8)
        packet[27] = UInt8(check & 0xFF)
    }
}
