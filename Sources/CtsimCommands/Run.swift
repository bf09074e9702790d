import ArgumentParser
import BPFObject
import Foundation
import Replay

/// `ctsim run OBJECT --program NAME --data-in FILE [--ctx-in FILE] [--repeat N]`: one packet
/// through the program, like `bpftool prog run`.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a program on one packet (like bpftool prog run): return value and mean duration.",
        discussion: """
            --data-in is the raw frame (Ethernet). --ctx-in is the xdp_md (24 bytes) or __sk_buff \
            (192 bytes) to start from: XDP takes ingress_ifindex and rx_queue_index from it, TC takes \
            mark, priority, tc_index, cb[], tc_classid and tstamp. With --repeat N the program runs \
            N times on fresh copies of the packet; state (maps, conntrack) carries over.
            """
    )

    @Argument(help: ArgumentHelp("The clang-built BPF ELF object.", valueName: "OBJECT")) var object: String
    @Option(help: "The program (function) name.") var program: String?
    @Option(help: "The packet bytes.") var dataIn: String
    @Option(help: "The context bytes (xdp_md or __sk_buff).") var ctxIn: String?
    @Option(help: "Runs (the duration is their mean).") var `repeat`: Int = 1
    @Option(help: "Write the packet as the program left it to FILE.") var dataOut: String?
    @Option(help: "Kernel ABI profile of the conntrack kfuncs (6.0 ... 6.18).") var kernel: String?

    func run() throws {
        guard `repeat` >= 1 else { throw CommandFailure(.badInput, "--repeat must be at least 1") }
        guard let data = FileManager.default.contents(atPath: dataIn) else { throw CommandFailure(.badInput, "\(dataIn): cannot read the file") }
        let frame = [UInt8](data)
        guard frame.count >= 14 else { throw CommandFailure(.badInput, "\(dataIn): \(frame.count) bytes is shorter than an Ethernet header") }
        let session = try ReplaySupport.session(path: object, program: program, profile: try ReplaySupport.profile(kernel))
        if let ctxIn {
            guard let bytes = FileManager.default.contents(atPath: ctxIn).map({ [UInt8]($0) }) else {
                throw CommandFailure(.badInput, "\(ctxIn): cannot read the file")
            }
            try apply(context: bytes, to: session)
        }
        try ReplaySupport.verify(session)
        var clock = timespec()
        clock_gettime(CLOCK_MONOTONIC, &clock)
        let start = Int64(clock.tv_sec) * 1_000_000_000 + Int64(clock.tv_nsec)
        var last = session.run(frame: frame, nanoseconds: 0)
        for _ in 1..<`repeat` { last = session.run(frame: frame, nanoseconds: 0) }
        clock_gettime(CLOCK_MONOTONIC, &clock)
        let elapsed = Int64(clock.tv_sec) * 1_000_000_000 + Int64(clock.tv_nsec) - start
        if let fault = last.fault { throw CommandFailure(.negative, "\(session.name): the run faulted: \(fault)") }
        let value = last.returnValue ?? 0
        if let dataOut {
            if let failure = OutputFile.save(last.packet, to: dataOut) {
                throw CommandFailure(.badInput, "\(dataOut): cannot write the file: \(failure)")
            }
        }
        Output.out("Return value: \(UInt32(truncatingIfNeeded: value)), action \(session.action(value))")
        Output.out("Duration (average): \(elapsed / Int64(`repeat`))ns")
        Output.out("Instructions: \(last.instructions)")
    }

    func apply(context bytes: [UInt8], to session: ProgramSession) throws {
        func u32(_ offset: Int) -> UInt32 {
            offset + 4 <= bytes.count ? UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24 : 0
        }
        if let xdp = session.xdpContext {
            guard bytes.count == 24 else { throw CommandFailure(.badInput, "\(ctxIn ?? ""): an xdp_md is 24 bytes, not \(bytes.count)") }
            guard u32(0) == 0, u32(4) == 0, u32(8) == 0, u32(20) == 0 else {
                throw CommandFailure(.badInput, "\(ctxIn ?? ""): data, data_end, data_meta and egress_ifindex must be 0 in ctx-in")
            }
            xdp.ingressInterface = u32(12)
            xdp.rxQueueIndex = u32(16)
        } else if let skb = session.skbContext {
            guard bytes.count == 192 else { throw CommandFailure(.badInput, "\(ctxIn ?? ""): a __sk_buff is 192 bytes, not \(bytes.count)") }
            skb.mark = u32(8)
            skb.priority = u32(32)
            skb.tcIndex = u32(44)
            skb.cb = (0..<5).map { u32(48 + $0 * 4) }
            skb.tcClassID = u32(72)
        }
    }
}
