import Packets

#if canImport(Glibc)
import Glibc
#endif

/// The kernel's answer for one program over one capture, through `BPF_PROG_TEST_RUN`: what
/// `ctsim replay --json` reports for the simulator.
public struct KernelReplayResult: Sendable {
    /// One packet's outcome.
    public struct PacketResult: Sendable, Equatable {
        /// 0-based index in the capture.
        public var index: Int
        /// The return value; nil when the packet was not run (`skipped` says why).
        public var returnValue: UInt32?
        /// The verdict name (`XDP_PASS`, `TC_ACT_SHOT`...), when the value has one.
        public var action: String?
        /// Length of the packet the program left (`data_out`).
        public var outputLength: Int?
        /// Why the packet was not run (not convertible to Ethernet, shorter than 14 bytes).
        public var skipped: String?
    }

    public var program: String
    public var type: KernelProgramType
    public var verification: KernelVerification
    public var results: [PacketResult]
    /// The object's globals after the last packet (empty when the program was rejected).
    public var globals: [KernelGlobal]
    /// The namespace's conntrack table after the last packet.
    public var conntrack: [KernelConntrackEntry]

    /// How many packets got each verdict name (unnamed values as `RETVAL_N`).
    public var counts: [String: Int] {
        var counts: [String: Int] = [:]
        for result in results {
            guard let value = result.returnValue else { continue }
            counts[result.action ?? "RETVAL_\(value)", default: 0] += 1
        }
        return counts
    }
}

/// Runs a BPF program over a capture on the live kernel: in a fresh private namespace, load with
/// a verifier log, one `BPF_PROG_TEST_RUN` per packet in capture order, then the globals and the
/// namespace's conntrack table (where the kfuncs left their entries). The namespace is deleted on
/// every exit path.
public enum KernelReplay {
    /// Options of a replay.
    public struct Options: Sendable {
        public var logLevel: UInt32
        /// Run XDP programs with `ingress_ifindex` of a veth inside the namespace instead of the
        /// loopback (a dummy peer is created for it).
        public var useVethIngress: Bool

        public init(logLevel: UInt32 = 1, useVethIngress: Bool = false) {
            self.logLevel = logLevel
            self.useVethIngress = useVethIngress
        }
    }

    /// The frame a packet of `linkType` becomes for a test run: Ethernet frames unchanged (tags
    /// included), other link types with an Ethernet header in front of the network layer.
    public static func ethernetFrame(_ data: [UInt8], linkType: LinkType) throws(EthernetRewriter.Refusal) -> [UInt8] {
        if linkType == .ethernet { return data }
        return try EthernetRewriter(destination: MACAddress(2, 0, 0, 0, 0, 2), source: MACAddress(2, 0, 0, 0, 0, 1))
            .rewrite(data, linkType: linkType)
    }

    /// Replays `capture` through `program` of the object at `path` in a new namespace.
    ///
    /// - Throws: `KernelError` when the object cannot be opened, the namespace made, or a run
    ///   fails; a rejected program is not an error (`verification.accepted` is false, no runs).
    public static func run(
        objectPath path: String, program: String?, capture: Capture, options: Options = Options()
    ) throws -> KernelReplayResult {
        try NetworkNamespace.withNamespace { namespace in
            var ingress: UInt32 = 0
            if options.useVethIngress {
                try namespace.ipBatch(["link add ctsimrx0 type veth peer name ctsimrx1", "link set ctsimrx0 up", "link set ctsimrx1 up"])
            }
            return try namespace.run {
                if options.useVethIngress {
                    ingress = if_nametoindex("ctsimrx0")
                    guard ingress != 0 else { throw KernelError.fromErrno("if_nametoindex ctsimrx0") }
                }
                return try run(objectPath: path, program: program, capture: capture, ingress: ingress, logLevel: options.logLevel)
            }
        }
    }

    /// The replay on the calling thread, which must be inside a private namespace.
    public static func run(
        objectPath path: String, program: String?, capture: Capture, ingress: UInt32 = 0, logLevel: UInt32 = 1
    ) throws -> KernelReplayResult {
        try NamespaceIdentity.requireNotInitial()
        let (object, verification) = try KernelProgramLoader.load(path: path, program: program, logLevel: logLevel)
        let type = try object.program(named: verification.program).type
        guard verification.accepted else {
            return KernelReplayResult(
                program: verification.program, type: type, verification: verification, results: [], globals: [], conntrack: [])
        }
        let loaded = try object.loadedProgram(verification.program)
        var results: [KernelReplayResult.PacketResult] = []
        results.reserveCapacity(capture.packets.count)
        for (index, packet) in capture.packets.enumerated() {
            var result = KernelReplayResult.PacketResult(index: index)
            do {
                let frame = try ethernetFrame(packet.data, linkType: capture.linkType)
                if frame.count < 14 {
                    result.skipped = "frame of \(frame.count) bytes is shorter than an Ethernet header"
                } else {
                    let run = try loaded.run(frame, ingressInterface: ingress)
                    result.returnValue = run.returnValue
                    result.action = type.actionName(run.returnValue)
                    result.outputLength = run.output.count
                }
            } catch let refusal as EthernetRewriter.Refusal {
                result.skipped = refusal.description
            }
            results.append(result)
        }
        let globals = try object.globals()
        let table = try ConntrackHandle().dump().entries
        return KernelReplayResult(
            program: verification.program, type: type, verification: verification, results: results, globals: globals,
            conntrack: table)
    }
}
