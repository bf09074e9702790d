import CBPF

/// A BPF program type (`enum bpf_prog_type`), with libbpf's name for it.
public struct KernelProgramType: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    init(_ type: bpf_prog_type) { rawValue = type.rawValue }

    var cValue: bpf_prog_type { bpf_prog_type(rawValue: rawValue) }

    public static let xdp = KernelProgramType(BPF_PROG_TYPE_XDP)
    public static let schedCls = KernelProgramType(BPF_PROG_TYPE_SCHED_CLS)

    /// libbpf's name (`libbpf_bpf_prog_type_str`): `xdp`, `sched_cls`, ...; the contract's
    /// `"type"` field.
    public var name: String {
        guard let text = libbpf_bpf_prog_type_str(cValue) else { return "type-\(rawValue)" }
        return String(cString: text)
    }

    public var description: String { name }

    /// The verdict name of a return value: `XDP_PASS`, `TC_ACT_SHOT`, ... (nil when the value
    /// has no name for this type).
    public func actionName(_ value: UInt32) -> String? {
        if self == .xdp {
            let names = ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"]
            return value < names.count ? names[Int(value)] : nil
        }
        if self == .schedCls {
            if Int32(bitPattern: value) == -1 { return "TC_ACT_UNSPEC" }
            let names = [
                "TC_ACT_OK", "TC_ACT_RECLASSIFY", "TC_ACT_SHOT", "TC_ACT_PIPE", "TC_ACT_STOLEN", "TC_ACT_QUEUED",
                "TC_ACT_REPEAT", "TC_ACT_REDIRECT", "TC_ACT_TRAP",
            ]
            return value < names.count ? names[Int(value)] : nil
        }
        return nil
    }
}
