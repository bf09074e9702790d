import ArgumentParser
import KernelBackend
import Packets

/// `ctsim diff track PCAP`: the kernel forwarding the capture through a private topology vs the
/// conntrack model's `ctsim track`.
struct DiffTrack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Compare the kernel's table after forwarding PCAP with the model's ('ctsim track').",
        discussion: """
            The kernel side injects every frame into a client → router → sink topology of private \
            namespaces (the router forwards and tracks), with the capture's pacing by default, then \
            dumps the router's table. Entries are matched by family, protocol and original tuple; \
            state, status, reply tuple, mark, zone and timeout (within --timeout-tolerance seconds) \
            are compared.
            """
    )

    @Argument(help: ArgumentHelp("The capture to replay.", valueName: "PCAP"))
    var capture: String

    @Option(help: "Injection pacing: 'capture' keeps the capture's gaps, 'top' sends at top speed.")
    var pace: String = "capture"

    @Option(help: "Divide the capture's gaps by this factor (with --pace capture).")
    var speedup: Double = 1

    @Option(help: "Seconds by which a timeout may differ.")
    var timeoutTolerance: Int = 3

    @Flag(help: "Do not compare timeouts.")
    var ignoreTimeouts = false

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard ["capture", "top"].contains(pace) else { throw ValidationError("--pace must be 'capture' or 'top'") }
        // Gaps are capped at 5 s before the division: 0.01 keeps each under 500 s (smaller values
        // slept for centuries and overflowed the deadline).
        guard speedup >= 0.01 else { throw ValidationError("--speedup must be at least 0.01") }
    }

    func run() throws {
        let capture = try DiffKernel.capture(self.capture)
        try DiffKernel.requireSupport()
        let pacing: InjectionPacing = pace == "top" ? .topSpeed : .timestamps(speedup: speedup)
        let entries = try DiffKernel.run("native tracking") { try Self.kernelTable(capture, pacing: pacing) }
        let kernel = entries.map(TableFormat.json)
        let simulated = try DiffSimulator.track(capture)
        let differences = DiffCompare.tables(
            kernel: kernel, simulated: simulated, timeoutTolerance: ignoreTimeouts || timeoutTolerance < 0 ? nil : Int64(timeoutTolerance))
        try DiffReport(
            mode: "track", differences: differences,
            kernel: .object([("packets", .int(capture.packets.count)), ("conntrack", .array(kernel))]),
            simulated: .object([("packets", .int(capture.packets.count)), ("conntrack", .array(simulated))])
        ).emit(json: json)
    }

    /// The router's table after `capture` was forwarded.
    static func kernelTable(_ capture: Capture, pacing: InjectionPacing) throws -> [KernelConntrackEntry] {
        try ForwardingTopology.withTopology { topology in
            _ = try topology.makeInjector().inject(capture, pacing: pacing)
            return try topology.routerConntrack()
        }
    }
}
