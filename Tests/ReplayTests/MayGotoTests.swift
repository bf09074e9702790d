import CtsimTesting
import KernelBackend
import Packets
import Replay
import Testing

/// `may_goto` (6.9+): a loop bounded by a byte of the frame, which the verifier accepts only
/// through may_goto, verified and run in the simulator and on the live kernel over every sample
/// capture (same return value per packet, same globals).
@Suite struct MayGotoTests {
    static let source = """
        #include <ctsim/ctsim.h>
        CTSIM_LICENSE("GPL");

        __u64 sum = 0;
        __u64 rounds = 0;

        SEC("xdp")
        int may_goto_sum(struct xdp_md *ctx)
        {
            __u8 *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
            if (data + 64 > end)
                return XDP_DROP;
            __u32 n = data[0] ^ data[13], i;
            __u64 s = 0;
            for (i = 0; i < n; i++) {
                asm volatile goto("may_goto %l[out]" :::: out);
                s = s * 31 + (i ^ n);
            }
        out:
            __sync_fetch_and_add(&sum, s);
            __sync_fetch_and_add(&rounds, i);
            return s & 1 ? XDP_PASS : XDP_TX;
        }
        """

    static func object() throws -> String {
        try BPFCompiler.compile("may_goto_sum", source, includeRoot: ReplayTestFiles.root, flags: ["-Wall"])
    }

    @Test(.needsKernel, arguments: ReplayTestFiles.samples)
    func loopsAsTheKernelRunsThem(_ sample: String) throws {
        try KernelRequirement.require()
        let capture = try Capture(contentsOf: ReplayTestFiles.sample(sample))
        let compared = try ExampleDifferential.compare(objectPath: try Self.object(), capture: capture, label: sample)
        #expect(compared == capture.packets.count)
    }

    /// The kernel gives a subprogram with may_goto 16 more bytes of stack; so does ctsim.
    @Test(.needsKernel) func stackDepthAsTheKernelSays() throws {
        try KernelRequirement.require()
        let path = try Self.object()
        let kernel = try KernelProgramLoader.load(path: path, program: nil, logLevel: 4).verification
        let line = kernel.log.split(separator: "\n").first { $0.hasPrefix("stack depth") }.map(String.init)
        #expect(line == "stack depth 16")
        #expect(try ReplayTestFiles.session(path).verification.program?.stackDepthLine == line)
    }

    @Test func theSimulatorRunsTheLoop() throws {
        let session = try ReplayTestFiles.session(try Self.object())
        let result = CaptureReplay.run(session, capture: try Capture(contentsOf: ReplayTestFiles.sample("tcp-handshake-close.pcap")))
        let globals = Dictionary(result.globals.map { ($0.name, $0.value.description) }, uniquingKeysWith: { a, _ in a })
        #expect(result.results.allSatisfy { $0.fault == nil })
        #expect((Int(globals["rounds"] ?? "") ?? 0) > 0)
    }
}
