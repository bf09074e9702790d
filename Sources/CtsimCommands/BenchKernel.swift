import ArgumentParser
import KernelBackend
import Packets

#if canImport(Glibc)
import Glibc
#endif

/// `ctsim bench kernel`: the per-packet cost of the two kernel paths the simulator is measured
/// against: native forwarding through the topology (AF_PACKET injection, conntrack in the
/// router), and BPF_PROG_TEST_RUN one packet per call. Needs root (exit 3 otherwise).
struct BenchKernel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Per-packet cost of native replay through a namespace topology and of BPF_PROG_TEST_RUN (needs root)."
    )

    @Option(help: "Frames injected per native run.")
    var packets = 20_000

    @Option(help: "Distinct UDP flows in the new-flows run.")
    var flows = 2_000

    @Option(help: "The BPF object for the test-run figures.")
    var object = "bpf/build/xdp_ct_firewall.bpf.o"

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard packets > 0, flows > 0 else { throw ValidationError("--packets and --flows must be positive") }
    }

    static func frames(count: Int, flows: Int) -> Capture {
        let client = IPAddress.v4(IPv4Address(198, 51, 100, 1))
        let server = IPAddress.v4(IPv4Address(192, 0, 2, 10))
        let mac = MACAddress(2, 0, 0, 0, 0, 1)
        let packets = (0..<count).map { i in
            let packet = IPPacketBuilder(
                source: client, destination: server,
                transport: .udp(sourcePort: UInt16(20_000 + i % flows), destinationPort: 53, payload: [UInt8](repeating: 7, count: 64))
            ).build()
            return CapturedPacket(
                number: i + 1, timestamp: Timestamp(nanoseconds: Int64(i)), data: FrameBuilder.ethernet(packet, source: mac, destination: mac))
        }
        return Capture(
            path: "bench", format: .init(container: .pcap, precision: .microseconds, bigEndian: false), linkType: .ethernet,
            snapshotLength: 65535, packets: packets)
    }

    func run() throws {
        guard geteuid() == 0 else { throw CommandFailure(.environment, "bench kernel needs root (namespaces, BPF)") }
        try DiffKernel.checkObject(object, program: nil, requireSingle: true)
        try DiffKernel.requireSupport()
        var results: [BenchResult] = []
        let object = self.object
        try DiffKernel.run("bench") {
            var watch = Stopwatch()
            try NetworkNamespace.withNamespace { _ in }
            var (wall, cpu) = watch.elapsed()
            results.append(BenchResult(name: "namespace create+delete", items: 1, unit: "namespaces", wall: wall, cpu: cpu))

            watch = Stopwatch()
            let topology = try ForwardingTopology.create()
            defer { try? topology.tearDown() }
            (wall, cpu) = watch.elapsed()
            results.append(BenchResult(name: "topology setup", items: 1, unit: "topologies", wall: wall, cpu: cpu))

            let injector = try topology.makeInjector()
            for (name, capture) in [
                ("native replay, new flows", Self.frames(count: flows, flows: flows)),
                ("native replay, one flow", Self.frames(count: packets, flows: 1)),
            ] {
                watch = Stopwatch()
                let report = try injector.inject(capture)
                (wall, cpu) = watch.elapsed()
                results.append(BenchResult(name: name, items: report.sent, unit: "packets", wall: wall, cpu: cpu))
            }
            watch = Stopwatch()
            let entries = try topology.routerConntrack()
            (wall, cpu) = watch.elapsed()
            results.append(BenchResult(name: "conntrack dump", items: entries.count, unit: "entries", wall: wall, cpu: cpu))

            let capture = Self.frames(count: packets, flows: flows)
            try topology.router.run {
                let (loaded, verification) = try KernelProgramLoader.load(path: object, program: nil)
                guard verification.accepted else {
                    throw CommandFailure(.badInput, "\(object): the kernel rejects it: \(verification.error ?? "")")
                }
                let program = try loaded.loadedProgram(verification.program)
                watch = Stopwatch()
                for packet in capture.packets { _ = try program.run(packet.data) }
                (wall, cpu) = watch.elapsed()
                results.append(BenchResult(name: "test_run, one packet per call", items: capture.packets.count, unit: "packets", wall: wall, cpu: cpu))
                watch = Stopwatch()
                let repeated = try program.run(capture.packets[0].data, repeat: Int32(packets))
                (wall, cpu) = watch.elapsed()
                results.append(BenchResult(name: "test_run, repeat inside the kernel", items: packets, unit: "packets", wall: wall, cpu: cpu))
                _ = repeated
            }
        }
        if json {
            Output.out(JSON.array(results.map(\.json)).serialized())
        } else {
            for result in results { Output.out(result.text) }
        }
    }
}
