import BPFObject
import BPFVM
import Foundation
import Testing

/// Helpers checked against the live kernel: small XDP programs built with clang run under
/// `bpftool prog run` (BPF_PROG_TEST_RUN) inside a private network namespace, and in the VM;
/// r0 and the output bytes must agree. Each program writes its helpers' results into the
/// packet, so the output bytes carry every answer.
///
/// Runs where clang, bpftool and root are available; under `CI=true` a missing piece is a
/// failure, not a skip. (This target does not depend on CtsimTesting, so it checks for itself.)
@Suite("VM helpers against the live kernel")
struct KernelHelperTests {
    static let prelude = """
        struct xdp_md { unsigned int data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex; };
        #define SEC(name) __attribute__((section(name), used))
        #define __uint(name, val) int (*name)[val]
        #define __type(name, val) __typeof__(val) *name
        static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, unsigned long long flags) = (void *)2;
        static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
        static long (*bpf_csum_diff)(void *from, unsigned int from_size, void *to, unsigned int to_size, unsigned int seed) = (void *)28;
        static long (*bpf_xdp_adjust_head)(struct xdp_md *ctx, int delta) = (void *)44;
        static long (*bpf_xdp_adjust_tail)(struct xdp_md *ctx, int delta) = (void *)65;
        static long (*bpf_for_each_map_elem)(void *map, void *callback, void *ctx, unsigned long long flags) = (void *)164;
        static long (*bpf_loop)(unsigned int nr, void *callback, void *ctx, unsigned long long flags) = (void *)181;
        char _license[] SEC("license") = "GPL";
        #define PUT(i, v) do { if (data + 4 * (i) + 4 > end) return 1; ((unsigned int *)data)[i] = (unsigned int)(v); } while (0)

        """

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var source: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "csum_diff",
            source: """
                SEC("xdp") int prog(struct xdp_md *ctx) {
                    unsigned char *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
                    if (data + 64 > end) return 1;
                    long a = bpf_csum_diff(data, 8, data + 8, 12, 0x1234);
                    long b = bpf_csum_diff(0, 0, data + 20, 4, 0);
                    long c = bpf_csum_diff(data + 24, 4, 0, 0, 0xffff);
                    long d = bpf_csum_diff(data, 3, data + 4, 4, 0);
                    long e = bpf_csum_diff(data + 32, 32, data, 16, 0xfffffff0);
                    PUT(0, a); PUT(1, b); PUT(2, c); PUT(3, d); PUT(4, e);
                    return a;
                }
                """),
        Case(
            name: "xdp_adjust_head: headroom less the xdp_frame, ETH_HLEN left",
            source: """
                SEC("xdp") int prog(struct xdp_md *ctx) {
                    long a = bpf_xdp_adjust_head(ctx, -217);
                    long b = bpf_xdp_adjust_head(ctx, -216);
                    long c = bpf_xdp_adjust_head(ctx, 208);
                    long d = bpf_xdp_adjust_head(ctx, 60);
                    long e = bpf_xdp_adjust_head(ctx, 58);
                    long f = bpf_xdp_adjust_head(ctx, -58);
                    unsigned char *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
                    PUT(0, a); PUT(1, b); PUT(2, c); PUT(3, d); PUT(4, e); PUT(5, f);
                    PUT(6, end - data);
                    return 2;
                }
                """),
        Case(
            name: "xdp_adjust_tail: up to 3520 bytes of data, ETH_HLEN left",
            source: """
                SEC("xdp") int prog(struct xdp_md *ctx) {
                    long a = bpf_xdp_adjust_tail(ctx, 3457);
                    long b = bpf_xdp_adjust_tail(ctx, 3456);
                    long c = bpf_xdp_adjust_tail(ctx, -3456);
                    long d = bpf_xdp_adjust_tail(ctx, 300);
                    long e = bpf_xdp_adjust_tail(ctx, -351);
                    long f = bpf_xdp_adjust_tail(ctx, -340);
                    unsigned char *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
                    PUT(0, a); PUT(1, b); PUT(2, c); PUT(3, d); PUT(4, e); PUT(5, f);
                    return end - data;
                }
                """),
        Case(
            name: "map update flags and errnos",
            source: """
                struct { __uint(type, 1); __uint(max_entries, 2); __type(key, unsigned int); __type(value, unsigned int); } h SEC(".maps");
                struct { __uint(type, 2); __uint(max_entries, 2); __type(key, unsigned int); __type(value, unsigned int); } a SEC(".maps");
                SEC("xdp") int prog(struct xdp_md *ctx) {
                    unsigned char *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
                    unsigned int k1 = 1, k2 = 2, k3 = 3, k0 = 0, k5 = 5, v = 7;
                    PUT(0, bpf_map_update_elem(&h, &k1, &v, 1));
                    PUT(1, bpf_map_update_elem(&h, &k1, &v, 1));
                    PUT(2, bpf_map_update_elem(&h, &k2, &v, 2));
                    PUT(3, bpf_map_update_elem(&h, &k2, &v, 0));
                    PUT(4, bpf_map_update_elem(&h, &k3, &v, 0));
                    PUT(5, bpf_map_update_elem(&h, &k1, &v, 4));
                    PUT(6, bpf_map_update_elem(&h, &k1, &v, 3));
                    PUT(7, bpf_map_update_elem(&h, &k1, &v, 2));
                    PUT(8, bpf_map_delete_elem(&h, &k3));
                    PUT(9, bpf_map_delete_elem(&h, &k2));
                    PUT(10, bpf_map_update_elem(&h, &k3, &v, 1));
                    PUT(11, bpf_map_update_elem(&a, &k0, &v, 1));
                    PUT(12, bpf_map_update_elem(&a, &k5, &v, 0));
                    PUT(13, bpf_map_update_elem(&a, &k0, &v, 2));
                    PUT(14, bpf_map_delete_elem(&a, &k0));
                    return 2;
                }
                """),
        Case(
            name: "bpf_loop and bpf_for_each_map_elem",
            source: """
                struct { __uint(type, 2); __uint(max_entries, 5); __type(key, unsigned int); __type(value, unsigned long long); } a SEC(".maps");
                struct ctx_t { unsigned long long sum; unsigned int stop; };
                static long step(unsigned int i, void *p) {
                    struct ctx_t *c = p;
                    c->sum += i + 1;
                    return i == c->stop;
                }
                static long visit(void *map, unsigned int *key, unsigned long long *value, void *p) {
                    struct ctx_t *c = p;
                    *value = *key * 3 + 1;
                    c->sum = c->sum * 7 + *value;
                    return *key == c->stop;
                }
                SEC("xdp") int prog(struct xdp_md *ctx) {
                    unsigned char *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
                    struct ctx_t c = { 0, 1000 };
                    PUT(0, bpf_loop(10, step, &c, 0)); PUT(1, c.sum);
                    c.sum = 0; c.stop = 3;
                    PUT(2, bpf_loop(10, step, &c, 0)); PUT(3, c.sum);
                    PUT(4, bpf_loop(10, step, &c, 1));
                    PUT(5, bpf_loop((1 << 23) + 1, step, &c, 0));
                    c.sum = 0; c.stop = 1000;
                    PUT(6, bpf_for_each_map_elem(&a, visit, &c, 0)); PUT(7, c.sum);
                    c.sum = 0; c.stop = 2;
                    PUT(8, bpf_for_each_map_elem(&a, visit, &c, 0)); PUT(9, c.sum);
                    PUT(10, bpf_for_each_map_elem(&a, visit, &c, 2));
                    return 2;
                }
                """),
    ]

    static let input: [UInt8] = (0..<64).map { UInt8(($0 * 37 + 11) & 0xFF) }

    @Test("same r0 and output bytes as BPF_PROG_TEST_RUN", arguments: cases)
    func sameAsKernel(_ testCase: Case) throws {
        guard let tools = Tools.find() else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ctsim-vm-kernel-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("prog.bpf.c").path
        let object = directory.appendingPathComponent("prog.bpf.o").path
        try (Self.prelude + testCase.source).write(toFile: source, atomically: true, encoding: .utf8)
        let compiled = try Tools.run(tools.clang, ["-target", "bpf", "-O2", "-g", "-c", source, "-o", object])
        try #require(compiled.status == 0, "clang: \(compiled.output)")

        let kernel = try Self.kernelRun(object: object, directory: directory.path, tools: tools)
        let vm = try Self.vmRun(object: object)
        #expect(vm.r0 & 0xFFFF_FFFF == kernel.r0, "\(testCase.name): r0")
        #expect(vm.output == kernel.output, "\(testCase.name): output bytes\nvm:     \(vm.output)\nkernel: \(kernel.output)")
    }

    /// `bpftool prog load` + `prog run` in a fresh namespace (its own mount namespace from
    /// `ip netns exec`, where a private bpffs holds the pin and goes away with the command).
    static func kernelRun(object: String, directory: String, tools: Tools) throws -> (r0: UInt64, output: [UInt8]) {
        let input = directory + "/in.bin"
        let output = directory + "/out.bin"
        try Data(Self.input).write(to: URL(fileURLWithPath: input))
        let namespace = "ctsim-vmtest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let added = try Tools.run("/usr/sbin/ip", ["netns", "add", namespace])
        try #require(added.status == 0, "ip netns add: \(added.output)")
        defer { _ = try? Tools.run("/usr/sbin/ip", ["netns", "del", namespace]) }
        let script = """
            mount -t bpf bpf /sys/fs/bpf && \
            \(tools.bpftool) prog load \(object) /sys/fs/bpf/prog type xdp && \
            \(tools.bpftool) prog run pinned /sys/fs/bpf/prog data_in \(input) data_out \(output)
            """
        let ran = try Tools.run("/usr/sbin/ip", ["netns", "exec", namespace, "/bin/sh", "-c", script])
        try #require(ran.status == 0, "bpftool: \(ran.output)")
        let line = try #require(ran.output.split(separator: "\n").first { $0.hasPrefix("Return value: ") })
        let number = line.dropFirst("Return value: ".count).prefix { $0.isNumber }
        let r0 = try #require(UInt64(number))
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
        return (r0, bytes)
    }

    static func vmRun(object: String) throws -> (r0: UInt64, output: [UInt8]) {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: object)))
        let file = try BPFObjectFile(bytes: bytes, fileName: "prog.bpf.o")
        let loaded = try file.load("prog")
        var configuration = MachineConfiguration()
        configuration.programType = .xdp
        let machine = BPFMachine(configuration: configuration)
        for map in loaded.maps { try machine.createMap(map) }
        machine.contextAccess = HelperTests.XDPContext()
        machine.packet = PacketBuffer(Self.input)
        let ctx = machine.setContext([], rewritten: true)
        let program = try machine.load(loaded.instructions)
        let r0 = try machine.run(program, r1: ctx)
        return (r0, try #require(machine.packet).bytes)
    }

    struct Tools {
        var clang: String
        var bpftool: String

        /// The tools, or nil (a recorded failure under CI=true) when this host cannot run the test.
        static func find() -> Tools? {
            let fm = FileManager.default
            let clang = ["/opt/swift/usr/bin/clang", "/usr/bin/clang"].first { fm.isExecutableFile(atPath: $0) }
            let bpftool = ["/usr/sbin/bpftool", "/usr/bin/bpftool"].first { fm.isExecutableFile(atPath: $0) }
            if let clang, let bpftool, getuid() == 0, fm.isExecutableFile(atPath: "/usr/sbin/ip") {
                return Tools(clang: clang, bpftool: bpftool)
            }
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("needs root, clang, bpftool and ip to compare VM helpers with the kernel")
            }
            return nil
        }

        static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
    }
}
