/// The kernel's program types (`enum bpf_prog_type`), with libbpf's names.
public struct ProgramType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let unspecified = ProgramType(rawValue: 0)
    public static let socketFilter = ProgramType(rawValue: 1)
    public static let kprobe = ProgramType(rawValue: 2)
    public static let schedCLS = ProgramType(rawValue: 3)
    public static let schedACT = ProgramType(rawValue: 4)
    public static let tracepoint = ProgramType(rawValue: 5)
    public static let xdp = ProgramType(rawValue: 6)
    public static let perfEvent = ProgramType(rawValue: 7)
    public static let cgroupSKB = ProgramType(rawValue: 8)
    public static let cgroupSock = ProgramType(rawValue: 9)
    public static let lwtIn = ProgramType(rawValue: 10)
    public static let lwtOut = ProgramType(rawValue: 11)
    public static let lwtXmit = ProgramType(rawValue: 12)
    public static let sockOps = ProgramType(rawValue: 13)
    public static let skSKB = ProgramType(rawValue: 14)
    public static let cgroupDevice = ProgramType(rawValue: 15)
    public static let skMsg = ProgramType(rawValue: 16)
    public static let rawTracepoint = ProgramType(rawValue: 17)
    public static let cgroupSockAddr = ProgramType(rawValue: 18)
    public static let lwtSeg6Local = ProgramType(rawValue: 19)
    public static let skReuseport = ProgramType(rawValue: 21)
    public static let flowDissector = ProgramType(rawValue: 22)
    public static let cgroupSysctl = ProgramType(rawValue: 23)
    public static let cgroupSockopt = ProgramType(rawValue: 25)
    public static let tracing = ProgramType(rawValue: 26)
    public static let structOps = ProgramType(rawValue: 27)
    public static let lsm = ProgramType(rawValue: 29)
    public static let skLookup = ProgramType(rawValue: 30)
    public static let syscall = ProgramType(rawValue: 31)
    public static let netfilter = ProgramType(rawValue: 32)

    private static let names: [UInt32: String] = [
        0: "unspec", 1: "socket_filter", 2: "kprobe", 3: "sched_cls", 4: "sched_act", 5: "tracepoint", 6: "xdp", 7: "perf_event",
        8: "cgroup_skb", 9: "cgroup_sock", 10: "lwt_in", 11: "lwt_out", 12: "lwt_xmit", 13: "sock_ops", 14: "sk_skb",
        15: "cgroup_device", 16: "sk_msg", 17: "raw_tracepoint", 18: "cgroup_sock_addr", 19: "lwt_seg6local", 21: "sk_reuseport",
        22: "flow_dissector", 23: "cgroup_sysctl", 25: "cgroup_sockopt", 26: "tracing", 27: "struct_ops", 29: "lsm", 30: "sk_lookup",
        31: "syscall", 32: "netfilter",
    ]

    public var name: String { Self.names[rawValue] ?? "prog_type_\(rawValue)" }
    public var description: String { name }
}

/// How libbpf reads a program's ELF section name: the program type, the attach point it implies
/// and whether the program is loaded by default (`?tc` is not).
public struct SectionConvention: Hashable, Sendable {
    public var type: ProgramType
    /// The attach point the name implies (`ingress`, `egress`, `devmap`, ...), if any.
    public var attach: String?
    public var autoload: Bool
    /// Whether the program handles multi-buffer frames (`xdp.frags`).
    public var fragments: Bool

    /// Exact names, then prefixes that take `/anything` (libbpf's `+` rules).
    private static let exact: [String: (ProgramType, String?)] = [
        "socket": (.socketFilter, nil), "xdp": (.xdp, nil), "xdp.frags": (.xdp, nil), "xdp/devmap": (.xdp, "devmap"),
        "xdp/cpumap": (.xdp, "cpumap"), "xdp.frags/devmap": (.xdp, "devmap"), "xdp.frags/cpumap": (.xdp, "cpumap"),
        "tc": (.schedCLS, nil), "classifier": (.schedCLS, nil), "action": (.schedACT, nil), "tcx/ingress": (.schedCLS, "ingress"),
        "tcx/egress": (.schedCLS, "egress"), "tc/ingress": (.schedCLS, "ingress"), "tc/egress": (.schedCLS, "egress"),
        "netkit/primary": (.schedCLS, "primary"), "netkit/peer": (.schedCLS, "peer"), "perf_event": (.perfEvent, nil),
        "cgroup_skb/ingress": (.cgroupSKB, "ingress"), "cgroup_skb/egress": (.cgroupSKB, "egress"), "cgroup/skb": (.cgroupSKB, nil),
        "lwt_in": (.lwtIn, nil), "lwt_out": (.lwtOut, nil), "lwt_xmit": (.lwtXmit, nil), "lwt_seg6local": (.lwtSeg6Local, nil),
        "sockops": (.sockOps, nil), "sk_skb": (.skSKB, nil), "sk_skb/stream_parser": (.skSKB, "stream_parser"),
        "sk_skb/stream_verdict": (.skSKB, "stream_verdict"), "sk_msg": (.skMsg, nil), "cgroup/dev": (.cgroupDevice, nil),
        "flow_dissector": (.flowDissector, nil), "sk_reuseport": (.skReuseport, nil), "sk_reuseport/migrate": (.skReuseport, "migrate"),
        "sk_lookup": (.skLookup, nil), "syscall": (.syscall, nil), "netfilter": (.netfilter, nil), "cgroup/sysctl": (.cgroupSysctl, nil),
        "cgroup/getsockopt": (.cgroupSockopt, "getsockopt"), "cgroup/setsockopt": (.cgroupSockopt, "setsockopt"),
    ]
    private static let prefixes: [(String, ProgramType)] = [
        ("kprobe", .kprobe), ("kretprobe", .kprobe), ("uprobe", .kprobe), ("uretprobe", .kprobe), ("ksyscall", .kprobe),
        ("kretsyscall", .kprobe), ("usdt", .kprobe), ("tracepoint", .tracepoint), ("tp", .tracepoint),
        ("raw_tracepoint", .rawTracepoint), ("raw_tp", .rawTracepoint), ("tp_btf", .tracing), ("fentry", .tracing),
        ("fexit", .tracing), ("fmod_ret", .tracing), ("iter", .tracing), ("lsm", .lsm), ("struct_ops", .structOps),
        ("cgroup/sock", .cgroupSock), ("cgroup/bind4", .cgroupSockAddr), ("cgroup/bind6", .cgroupSockAddr),
        ("cgroup/connect4", .cgroupSockAddr), ("cgroup/connect6", .cgroupSockAddr), ("cgroup/sendmsg4", .cgroupSockAddr),
        ("cgroup/sendmsg6", .cgroupSockAddr), ("cgroup/recvmsg4", .cgroupSockAddr), ("cgroup/recvmsg6", .cgroupSockAddr),
        // Pre-1.0 libbpf took any `xdp/NAME` and `classifier/NAME`; ctsim keeps accepting them.
        ("xdp", .xdp), ("classifier", .schedCLS), ("socket", .socketFilter),
    ]

    /// The convention for a section name, or nil when libbpf would not recognise it.
    public init?(sectionName: String) {
        var name = Substring(sectionName)
        autoload = true
        if name.hasPrefix("?") {
            autoload = false
            name = name.dropFirst()
        }
        fragments = name.hasPrefix("xdp.frags")
        if let (type, attach) = Self.exact[String(name)] {
            self.type = type
            self.attach = attach
            return
        }
        for (prefix, type) in Self.prefixes where name == prefix || name.hasPrefix(prefix + "/") {
            self.type = type
            self.attach = name == prefix ? nil : String(name.dropFirst(prefix.count + 1))
            return
        }
        return nil
    }
}
