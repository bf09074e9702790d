import ArgumentParser
import Packets
import Replay

#if canImport(Glibc)
import Glibc
#endif

/// `ctsim bench replay`: the example firewall replayed in the VM over a generated capture.
struct BenchReplay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay throughput of a program (default: the example firewall) over a generated capture."
    )

    @Option(help: "The BPF object.") var object = "bpf/build/xdp_ct_firewall.bpf.o"
    @Option(help: "The program name.") var program: String?
    @Option(help: "Packets in the generated capture.") var packets = 1_000_000
    @Option(help: "Distinct flows in the generated capture.") var flows = 100_000
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard packets > 0, flows > 0, flows <= packets else { throw ValidationError("--packets and --flows must be positive, flows <= packets") }
    }

    func run() throws {
        let path = "/tmp/ctsim-bench-replay-\(getpid()).pcap"
        defer { unlink(path) }
        try TrackBenchCapture.write(path: path, packets: packets, flows: flows)
        let session = try ReplaySupport.session(path: object, program: program, profile: .current)
        let reader = try CaptureReader(path: path)
        var instructions = 0
        var faults = 0
        let watch = Stopwatch()
        while try reader.withNextPacket({ _, timestamp, _, bytes in
            let outcome = session.run(frame: Array(bytes), nanoseconds: timestamp.nanoseconds)
            instructions += outcome.instructions
            if outcome.fault != nil { faults += 1 }
        }) {}
        let (wall, cpu) = watch.elapsed()
        guard faults == 0 else { throw CommandFailure(.environment, "bench: \(faults) runs faulted") }
        let result = BenchResult(name: "replay \(session.name)", items: reader.count, unit: "packets", wall: wall, cpu: cpu)
        if json {
            Output.out(JSON.array([result.json]).serialized())
        } else {
            Output.out(result.text)
            Output.out("  \(instructions) instructions, \(session.model.table.count) conntrack entries")
        }
    }
}
