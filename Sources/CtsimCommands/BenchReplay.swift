import ArgumentParser
import KernelBackend
import Packets
import Replay

#if canImport(Glibc)
import Glibc
#endif

/// `ctsim bench replay`: a program (default: the example firewall) replayed over a generated
/// capture in the VM and, in the same run, through the kernel's BPF_PROG_TEST_RUN one packet per
/// call (the backend's `KernelProgram.run`, in a fresh private namespace each round); both sides
/// read the same capture file, rounds alternate the sides, and the ratio of their throughputs is
/// printed (fastest round against fastest round, and per round).
struct BenchReplay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay throughput of a program in the VM vs BPF_PROG_TEST_RUN, over a generated capture."
    )

    @Option(help: "The BPF object.") var object = "bpf/build/xdp_ct_firewall.bpf.o"
    @Option(help: "The program name.") var program: String?
    @Option(help: "Packets in the generated capture.") var packets = 1_000_000
    @Option(help: "Distinct flows in the generated capture.") var flows = 100_000
    @Option(help: "Replay this capture instead of generating one.") var capture: String?
    @Option(help: "Rounds, each a VM replay then a kernel replay of the capture (each side's fastest counts).") var runs = 1
    @Flag(help: "Skip the kernel side (it needs root).") var noKernel = false
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard packets > 0, flows > 0, flows <= packets, runs > 0 else {
            throw ValidationError("--packets, --flows and --runs must be positive, flows <= packets")
        }
    }

    func run() throws {
        var path = capture ?? ""
        if capture == nil {
            path = "/tmp/ctsim-bench-replay-\(getpid()).pcap"
            try TrackBenchCapture.write(path: path, packets: packets, flows: flows)
        }
        defer { if capture == nil { unlink(path) } }

        let kernelSide = !noKernel && geteuid() == 0
        if !noKernel && !kernelSide {
            Output.err("bench replay: not root, so no kernel side (BPF_PROG_TEST_RUN needs root); use --no-kernel to silence this")
        }
        // Rounds alternate the two sides, so that both run under the same conditions on a shared
        // machine; each side's fastest round (by CPU time) counts, and each round's ratio is kept.
        var best: BenchResult?
        var kernelBest: BenchResult?
        var roundRatios: [Double] = []
        var instructions = 0
        var entries = 0
        var name = ""
        for _ in 0..<runs {
            let (result, executed, table, program) = try replayInVM(path)
            if best == nil || result.cpu < best!.cpu { best = result }
            (instructions, entries, name) = (executed, table, program)
            if kernelSide {
                let k = try replayInKernel(path, name: name)
                if kernelBest == nil || k.cpu < kernelBest!.cpu { kernelBest = k }
                roundRatios.append(Self.cpuRatio(result, k))
            }
        }
        let vm = best!
        let kernel = kernelBest
        // Per CPU second (the machine is shared: CPU time is steadier than wall time).
        let ratio = kernel.map { Self.cpuRatio(vm, $0) }
        let wallRatio = kernel.map { k in k.rate > 0 ? vm.rate / k.rate : 0 }
        let median = roundRatios.isEmpty ? nil : roundRatios.sorted()[roundRatios.count / 2]
        if json {
            var fields: [(String, JSON)] = [("vm", vm.json)]
            if let kernel { fields.append(("kernel", kernel.json)) }
            if let ratio, let wallRatio { fields += [("ratio_cpu", .double(ratio)), ("ratio_wall", .double(wallRatio))] }
            if let median {
                fields += [("ratio_cpu_rounds", .array(roundRatios.map { .double($0) })), ("ratio_cpu_median", .double(median))]
            }
            fields += [("instructions", .int(instructions)), ("conntrack_entries", .int(entries))]
            Output.out(JSON.object(fields).serialized())
        } else {
            Output.out(vm.text + ", \(perCPUSecond(vm)) per CPU second")
            Output.out("  \(instructions) instructions, \(entries) conntrack entries")
            if let kernel, let ratio, let wallRatio {
                Output.out(kernel.text + ", \(perCPUSecond(kernel)) per CPU second")
                Output.out("  VM / kernel: \(format(ratio))x per CPU second, \(format(wallRatio))x wall clock (fastest rounds)")
                if roundRatios.count > 1, let median {
                    Output.out("  per round: \(roundRatios.map(format).joined(separator: ", ")) (median \(format(median))x)")
                }
            }
        }
    }

    /// Packets per CPU second of `vm` over those of `kernel`.
    static func cpuRatio(_ vm: BenchResult, _ kernel: BenchResult) -> Double {
        kernel.cpu > 0 && vm.cpu > 0 ? (Double(vm.items) / vm.cpu) / (Double(kernel.items) / kernel.cpu) : 0
    }

    private func perCPUSecond(_ r: BenchResult) -> String {
        "\(Int((Double(r.items) / max(r.cpu, 1e-9)).rounded())) \(r.unit)"
    }

    private func format(_ x: Double) -> String { String(Double(Int((x * 100).rounded())) / 100) }

    /// Reads the capture and runs the program on every frame (no copies kept).
    private func replayInVM(_ path: String) throws -> (BenchResult, Int, Int, String) {
        let session = try ReplaySupport.session(path: object, program: program, profile: .current)
        let watch = Stopwatch()
        let reader = try CaptureReader(path: path)
        guard reader.linkType == .ethernet else { throw CommandFailure(.badInput, "\(path): bench replay needs an Ethernet capture") }
        var instructions = 0
        var faults = 0
        while try reader.withNextPacket({ _, timestamp, _, bytes in
            let outcome = session.run(bytes: bytes, nanoseconds: timestamp.nanoseconds, keepPacket: false)
            instructions += outcome.instructions
            if outcome.fault != nil { faults += 1 }
        }) {}
        let (wall, cpu) = watch.elapsed()
        guard faults == 0 else { throw CommandFailure(.environment, "bench: \(faults) runs faulted") }
        let result = BenchResult(name: "replay \(session.name) (VM)", items: reader.count, unit: "packets", wall: wall, cpu: cpu)
        return (result, instructions, session.model.table.count, session.name)
    }

    /// The same capture through BPF_PROG_TEST_RUN, one packet per call, in a private namespace.
    private func replayInKernel(_ path: String, name: String) throws -> BenchResult {
        try DiffKernel.checkObject(object, program: program, requireSingle: program == nil)
        try DiffKernel.requireSupport()
        let object = self.object
        let program = self.program
        return try DiffKernel.run("bench") {
            try NetworkNamespace.withNamespace { namespace in
                try namespace.run {
                    let (loaded, verification) = try KernelProgramLoader.load(path: object, program: program)
                    guard verification.accepted else {
                        throw CommandFailure(.badInput, "\(object): the kernel rejects it: \(verification.error ?? "")")
                    }
                    let kernelProgram = try loaded.loadedProgram(verification.program)
                    let watch = Stopwatch()
                    let reader = try CaptureReader(path: path)
                    var failure: KernelError?
                    while try reader.withNextPacket({ _, _, _, bytes in
                        guard failure == nil else { return }
                        do throws(KernelError) { _ = try kernelProgram.run(Array(bytes)) } catch { failure = error }
                    }) {}
                    let (wall, cpu) = watch.elapsed()
                    if let failure { throw failure }
                    return BenchResult(
                        name: "replay \(name) (BPF_PROG_TEST_RUN, one packet per call)", items: reader.count, unit: "packets",
                        wall: wall, cpu: cpu)
                }
            }
        }
    }
}
