import ArgumentParser
import KernelBackend

/// `ctsim diff replay OBJECT PCAP [--program NAME]`: verdicts, globals and kfunc-made entries
/// of the kernel's BPF_PROG_TEST_RUN vs the simulator's replay.
struct DiffReplay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Compare per-packet verdicts, globals and the table of a kernel test run with the simulated replay.",
        discussion: """
            The kernel side loads the program in a private namespace and runs it once per packet \
            with BPF_PROG_TEST_RUN (XDP: struct xdp_md; TC: struct __sk_buff), then reads the \
            .bss/.data/.rodata globals by BTF name and the namespace's conntrack table.
            """
    )

    @Argument(help: ArgumentHelp("The clang-built BPF ELF object.", valueName: "OBJECT"))
    var object: String

    @Argument(help: ArgumentHelp("The capture to run the program over.", valueName: "PCAP"))
    var capture: String

    @Option(help: "The program (function) name; needed when the object has several.")
    var program: String?

    @Option(help: "Seconds by which a timeout may differ.")
    var timeoutTolerance: Int = 3

    @Flag(help: "Do not compare timeouts.")
    var ignoreTimeouts = false

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try DiffKernel.checkObject(object, program: program, requireSingle: true)
        let capture = try DiffKernel.capture(self.capture)
        try DiffKernel.requireSupport()
        let path = object, program = program
        let result = try DiffKernel.run("the test run") { try KernelReplay.run(objectPath: path, program: program, capture: capture) }
        let kernel = DiffKernel.replay(result)
        let simulated = try DiffSimulator.replay(path: path, program: program, capture: capture)
        try DiffReport(
            mode: "replay", differences: Self.compare(kernel: kernel, simulated: simulated, timeoutTolerance: ignoreTimeouts ? -1 : timeoutTolerance),
            kernel: kernel, simulated: simulated
        ).emit(json: json)
    }

    static func list(_ value: JSON?) -> [JSON] {
        if case .array(let items)? = value { return items }
        return []
    }

    static func compare(kernel: JSON, simulated: JSON, timeoutTolerance: Int) -> [Difference] {
        DiffCompare.verdicts(kernel: list(kernel["results"]), simulated: list(simulated["results"]))
            + DiffCompare.globals(kernel: kernel["globals"] ?? .object([]), simulated: simulated["globals"] ?? .object([]))
            + DiffCompare.tables(
                kernel: list(kernel["conntrack"]), simulated: list(simulated["conntrack"]),
                timeoutTolerance: timeoutTolerance < 0 ? nil : Int64(timeoutTolerance))
    }
}
