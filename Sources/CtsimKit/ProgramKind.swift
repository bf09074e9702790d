/// The program types CtsimKit runs.
public enum ProgramKind: String, Hashable, Sendable {
    /// XDP: `struct xdp_md`, `bpf_xdp_ct_*`.
    case xdp
    /// TC (`sched_cls`): `struct __sk_buff`, `bpf_skb_ct_*`.
    case tc
}
