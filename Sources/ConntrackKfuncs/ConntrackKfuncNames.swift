/// The conntrack kfuncs by name, in the order the kernel's set declares them
/// (`net/netfilter/nf_conntrack_bpf.c`, `nf_nat_bpf.c`).
public enum ConntrackKfuncNames {
    public static let all = [
        "bpf_xdp_ct_alloc", "bpf_xdp_ct_lookup", "bpf_skb_ct_alloc", "bpf_skb_ct_lookup", "bpf_ct_insert_entry",
        "bpf_ct_release", "bpf_ct_set_timeout", "bpf_ct_change_timeout", "bpf_ct_set_status",
        "bpf_ct_change_status", "bpf_ct_set_nat_info",
    ]
}
