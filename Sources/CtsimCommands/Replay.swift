import ArgumentParser
import BPFObject
import Conntrack
import Packets
import Replay

/// `ctsim replay OBJECT PCAP [--program NAME] [--json]`: the program run once per packet over
/// the capture, on the capture's clock, with the conntrack kfuncs on the model.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run an XDP/TC program once per packet of a capture, like BPF_PROG_TEST_RUN.",
        discussion: """
            The program is verified first (rejected: exit 1). Each packet runs with the capture's \
            timestamp as the clock; conntrack entries exist only where the kfuncs create them, unless \
            --track lets passed packets continue into native conntrack. Prints per-verdict counts, the \
            globals (.bss/.data/.rodata by BTF name) and the conntrack table.
            """
    )

    @Argument(help: ArgumentHelp("The clang-built BPF ELF object.", valueName: "OBJECT")) var object: String
    @Argument(help: ArgumentHelp("The capture to replay.", valueName: "PCAP")) var capture: String
    @Option(help: "The program (function) name; needed when the object has several.") var program: String?
    @Flag(help: "Print JSON (see contract.md).") var json = false
    @Flag(help: "Print each packet's kfunc calls (arguments, result, errno) and conntrack events.") var trace = false
    @Option(help: "Write one capture per verdict (pass, drop, tx, redirect, aborted, ...) into DIR.") var outDir: String?
    @Flag(help: "Passed packets continue into native conntrack (XDP, then the stack).") var track = false
    @Option(help: "Kernel ABI profile of the conntrack kfuncs (6.0 ... 6.18).") var kernel: String?

    func run() throws {
        let profile = try ReplaySupport.profile(kernel)
        let session = try ReplaySupport.session(path: object, program: program, profile: profile)
        let capture: Capture
        do {
            capture = try Capture(contentsOf: self.capture)
        } catch {
            throw CommandFailure(.badInput, "\(error)")
        }
        try ReplaySupport.verify(session)
        var options = ReplayOptions()
        options.trace = trace
        options.track = track
        options.keepOutput = outDir != nil
        options.progressEvery = capture.packets.count >= 100_000 ? 100_000 : 0
        let result = CaptureReplay.run(session, capture: capture, options: options) { done, total in
            Output.err("ctsim: replay \(done)/\(total) packets")
        }
        if let outDir { try ReplayOutput.writeVerdictCaptures(result, capture: capture, directory: outDir) }
        if json {
            Output.out(ReplayOutput.json(result).serialized())
        } else {
            ReplayOutput.text(result, trace: trace)
        }
    }
}
