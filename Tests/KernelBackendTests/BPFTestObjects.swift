import CtsimTesting
import Foundation
import Packets

/// Paths of the project's BPF objects and small programs compiled for the tests with clang's BPF
/// target against `bpf/include` (`make bpf` needs the same clang).
enum BPFTestObjects {
    /// The package root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// `bpf/build/xdp_ct_firewall.bpf.o` (built by `make bpf`).
    static var firewall: String { root + "/bpf/build/xdp_ct_firewall.bpf.o" }

    static func sample(_ name: String) -> String { root + "/Pcaps/" + name }

    static func compile(_ name: String, _ source: String) throws -> String {
        try BPFCompiler.compile(name, source, includeRoot: root)
    }

    /// An XDP program the verifier must reject: it reads byte 23 after checking only 14.
    static func outOfBounds() throws -> String { try compile("oob", BPFCompiler.outOfBoundsXDP) }

    /// A TC program with globals of several shapes that looks every IPv4 UDP/TCP packet up with
    /// `bpf_skb_ct_lookup`, and a second program in the same object.
    static func classifier() throws -> String {
        try compile(
            "tc",
            """
            #include <ctsim/ctsim.h>
            struct pair { __u16 a; __s8 b; __u32 c : 3, d : 5; };
            __u64 seen;
            __u64 misses;
            __s32 last_error = 7;
            __s16 negative[3] = { -1, -2, 3 };
            struct pair shape = { 65535, -5, 5, 17 };
            const volatile __u32 verdict_for_miss = TC_ACT_OK;
            SEC("tc")
            int tc_lookup(struct __sk_buff *skb)
            {
                void *data = (void *)(long)skb->data;
                void *end = (void *)(long)skb->data_end;
                struct ethhdr *eth = data;
                struct bpf_sock_tuple tuple = {};
                struct bpf_ct_opts opts = { .netns_id = BPF_F_CURRENT_NETNS };
                struct iphdr *iph;
                struct nf_conn *ct;
                __sync_fetch_and_add(&seen, 1);
                if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
                    return TC_ACT_OK;
                iph = (void *)(eth + 1);
                if ((void *)(iph + 1) > end || iph->ihl != 5)
                    return TC_ACT_OK;
                if (iph->protocol != IPPROTO_UDP && iph->protocol != IPPROTO_TCP)
                    return TC_ACT_OK;
                __be16 *ports = (void *)(iph + 1);
                if ((void *)(ports + 2) > end)
                    return TC_ACT_SHOT;
                tuple.ipv4.saddr = iph->saddr;
                tuple.ipv4.daddr = iph->daddr;
                tuple.ipv4.sport = ports[0];
                tuple.ipv4.dport = ports[1];
                opts.l4proto = iph->protocol;
                ct = bpf_skb_ct_lookup(skb, &tuple, sizeof(tuple.ipv4), &opts, NF_BPF_CT_OPTS_SZ);
                if (!ct) {
                    last_error = opts.error;
                    __sync_fetch_and_add(&misses, 1);
                    return verdict_for_miss;
                }
                bpf_ct_release(ct);
                return TC_ACT_OK;
            }
            SEC("xdp")
            int xdp_pass(struct xdp_md *ctx)
            {
                return XDP_PASS;
            }
            CTSIM_LICENSE("GPL");
            """)
    }
}
