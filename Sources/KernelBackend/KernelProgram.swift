import CBPF

#if canImport(Glibc)
import Glibc
#endif

/// What one `BPF_PROG_TEST_RUN` gave.
public struct KernelTestRunResult: Sendable, Equatable {
    /// The program's return value.
    public var returnValue: UInt32
    /// The packet as the program left it (`data_out`).
    public var output: [UInt8]
    /// The kernel's time for the run in nanoseconds (`duration`).
    public var duration: UInt32
}

/// A program loaded into the kernel, run with `BPF_PROG_TEST_RUN`
/// (`bpf_prog_test_run_opts`). Valid while its `KernelBPFObject` is alive (it keeps it alive).
///
/// The run happens in the calling thread's network namespace: a conntrack kfunc with
/// `netns_id = -1` acts on that namespace's table (the test device is its loopback, or the
/// interface given as `ingressInterface`).
public final class KernelProgram {
    public let name: String
    public let type: KernelProgramType
    public let fd: Int32
    private let owner: KernelBPFObject
    private var output: [UInt8] = []

    init(name: String, type: KernelProgramType, fd: Int32, owner: KernelBPFObject) {
        self.name = name
        self.type = type
        self.fd = fd
        self.owner = owner
    }

    /// Runs the program once on `packet` (an Ethernet frame of at least 14 bytes).
    ///
    /// XDP programs get a `struct xdp_md` context whose `ingress_ifindex` is `ingressInterface`
    /// (0: the namespace's loopback); TC (`sched_cls`) programs a zeroed `struct __sk_buff` with
    /// `ifindex` set likewise.
    ///
    /// - Throws: `KernelError(.program)` with the errno when the kernel refuses the run (EINVAL
    ///   for a frame under 14 bytes, ENOTSUPP for a type without test runs, ...).
    public func run(_ packet: [UInt8], ingressInterface: UInt32 = 0, repeat count: Int32 = 1) throws(KernelError)
        -> KernelTestRunResult
    {
        let capacity = packet.count + 4096
        if output.count < capacity { output = [UInt8](repeating: 0, count: capacity) }
        var context: [UInt8]
        if type == .xdp {
            // The kernel wants data_end == the frame's length (no metadata before the data).
            var md = xdp_md()
            md.data_end = UInt32(packet.count)
            md.ingress_ifindex = ingressInterface
            context = withUnsafeBytes(of: md) { Array($0) }
        } else if type == .schedCls {
            var skb = __sk_buff()
            skb.ifindex = ingressInterface
            context = withUnsafeBytes(of: skb) { Array($0) }
        } else {
            context = []
        }
        var options = bpf_test_run_opts()
        options.sz = MemoryLayout<bpf_test_run_opts>.stride
        options.repeat = count
        let rc = packet.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                context.withUnsafeMutableBytes { ctx in
                    options.data_in = input.baseAddress
                    options.data_size_in = UInt32(input.count)
                    options.data_out = out.baseAddress
                    options.data_size_out = UInt32(out.count)
                    if !ctx.isEmpty {
                        options.ctx_in = UnsafeRawPointer(ctx.baseAddress)
                        options.ctx_size_in = UInt32(ctx.count)
                        options.ctx_out = ctx.baseAddress
                        options.ctx_size_out = UInt32(ctx.count)
                    }
                    var result: Int32
                    repeat { result = bpf_prog_test_run_opts(fd, &options) } while result == -EINTR
                    return result
                }
            }
        }
        guard rc == 0 else {
            let code = rc < 0 ? -rc : errno
            throw KernelError(
                .program, "BPF_PROG_TEST_RUN of \(name) on a \(packet.count)-byte frame: \(KernelError.errnoDescription(code))",
                errno: code)
        }
        let length = min(Int(options.data_size_out), output.count)
        return KernelTestRunResult(returnValue: options.retval, output: Array(output[0..<length]), duration: options.duration)
    }
}
