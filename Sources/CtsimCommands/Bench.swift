import ArgumentParser
import Packets

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `ctsim bench`: the project's speed figures, measured on this machine. Speed targets live here,
/// not in timed tests.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure ctsim's speed on generated input (figures for the README).",
        subcommands: [BenchDissect.self, BenchKernel.self, BenchTrack.self, BenchVM.self, BenchReplay.self, BenchVerify.self]
    )
}

/// Wall-clock and CPU time of a block.
struct Stopwatch {
    private var wall = timespec()
    private var cpu = timespec()

    init() {
        clock_gettime(CLOCK_MONOTONIC, &wall)
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu)
    }

    /// Seconds since the stopwatch started: (wall, cpu).
    func elapsed() -> (wall: Double, cpu: Double) {
        var nowWall = timespec()
        var nowCPU = timespec()
        clock_gettime(CLOCK_MONOTONIC, &nowWall)
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &nowCPU)
        func seconds(_ a: timespec, _ b: timespec) -> Double {
            Double(b.tv_sec - a.tv_sec) + Double(b.tv_nsec - a.tv_nsec) / 1e9
        }
        return (seconds(wall, nowWall), seconds(cpu, nowCPU))
    }
}

/// One benchmark result line.
struct BenchResult {
    var name: String
    var items: Int
    var unit: String
    var wall: Double
    var cpu: Double

    var rate: Double { wall > 0 ? Double(items) / wall : 0 }

    var text: String {
        "\(name): \(items) \(unit) in \(formatSeconds(wall)) s (cpu \(formatSeconds(cpu)) s): "
            + "\(Int(rate.rounded())) \(unit)/s, \(Int((wall / Double(max(items, 1)) * 1e9).rounded())) ns each"
    }

    var json: JSON {
        .object([
            ("name", .string(name)), ("items", .int(items)), ("unit", .string(unit)), ("wall_seconds", .double(wall)),
            ("cpu_seconds", .double(cpu)), ("per_second", .double(rate)),
        ])
    }
}

/// `ctsim bench dissect`: read a generated capture through libpcap and dissect every packet.
struct BenchDissect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dissect",
        abstract: "Capture reading (libpcap) and dissection throughput over a generated capture."
    )

    @Option(help: "Packets in the generated capture.")
    var packets = 1_000_000

    @Option(help: "Distinct flows in the generated capture.")
    var flows = 100_000

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard packets > 0, flows > 0, flows <= packets else {
            throw ValidationError("--packets and --flows must be positive, with flows <= packets")
        }
    }

    func run() throws {
        let path = "/tmp/ctsim-bench-\(getpid()).pcap"
        defer { unlink(path) }
        try BenchCapture.write(path: path, packets: packets, flows: flows)
        let watch = Stopwatch()
        let reader = try CaptureReader(path: path)
        let dissector = Dissector(linkType: reader.linkType)
        var tcp = 0
        while try reader.withNextPacket({ _, _, length, bytes in
            if case .tcp = dissector.dissect(bytes, originalLength: length).transport { tcp += 1 }
        }) {}
        let (wall, cpu) = watch.elapsed()
        guard tcp > 0 else { throw CommandFailure(.environment, "bench: the generated capture dissected to nothing") }
        let result = BenchResult(name: "read+dissect", items: reader.count, unit: "packets", wall: wall, cpu: cpu)
        Output.out(json ? result.json.serialized() : result.text)
    }
}

/// A generated Ethernet capture of TCP and UDP flows between many clients and servers.
enum BenchCapture {
    static func write(path: String, packets: Int, flows: Int) throws(CaptureError) {
        let writer = try CaptureWriter(path: path, linkType: .ethernet)
        let mac = MACAddress(2, 0, 0, 0, 0, 1)
        var frames: [[UInt8]] = []
        frames.reserveCapacity(min(flows, 4096))
        // A few thousand distinct frames are built once and written round-robin with the flow
        // number patched into the source port, so building does not dominate.
        for i in 0..<min(flows, 4096) {
            let client = IPAddress.v4(IPv4Address(198, 51, UInt8(100 + i % 4), UInt8(1 + i % 250)))
            let server = IPAddress.v4(IPv4Address(192, 0, 2, UInt8(1 + i % 200)))
            let transport: TransportSpec =
                i % 3 == 0
                ? .udp(sourcePort: 1024, destinationPort: 53, payload: [UInt8](repeating: 0x61, count: 40))
                : .tcp(TCPSegment(sourcePort: 1024, destinationPort: 443, sequence: UInt32(i), flags: .ack, payload: [UInt8](repeating: 0x62, count: 100)))
            let packet = IPPacketBuilder(source: client, destination: server, transport: transport).build()
            frames.append(FrameBuilder.ethernet(packet, source: mac, destination: mac))
        }
        var time = Timestamp(seconds: 1_767_225_600)
        for n in 0..<packets {
            let flow = n % flows
            var frame = frames[flow % frames.count]
            let port = UInt16(truncatingIfNeeded: 1024 + flow / frames.count)
            frame[34] = UInt8(port >> 8)
            frame[35] = UInt8(port & 0xFF)
            time.nanoseconds += 1_000
            try writer.write(frame, timestamp: time)
        }
        try writer.close()
    }
}
