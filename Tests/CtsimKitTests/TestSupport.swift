import CtsimTesting
import Foundation

/// Paths and BPF objects for the CtsimKit tests. Objects are compiled with clang's BPF target
/// against `bpf/include` into `/tmp/ctsim-kittest-NAME-<hash of the source>.bpf.o` (one file per
/// version of the source, written atomically, so parallel cases share it safely).
enum KitTestFiles {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func compile(_ name: String, _ source: String) throws -> String {
        try BPFCompiler.compile(name, source, includeRoot: root, flags: ["-Wall"])
    }

    /// The example firewall, bpf/xdp_ct_firewall.bpf.c, compiled from its current source.
    static func firewall() throws -> String {
        try compile("xdp_ct_firewall", try String(contentsOfFile: root + "/bpf/xdp_ct_firewall.bpf.c", encoding: .utf8))
    }

    /// An XDP program the verifier rejects: it reads byte 23 after checking only 14.
    static func outOfBounds() throws -> String { try compile("oob", BPFCompiler.outOfBoundsXDP) }

    /// A TC program that lets IPv4 UDP through only for flows it has seen or may open: a datagram
    /// to port 53 opens an entry (5 s timeout, mark 7); one with no entry to any other port is shot.
    /// `hits` counts lookups that found an entry.
    static func udpGate() throws -> String {
        try compile(
            "udp_gate",
            """
            #include <ctsim/ctsim.h>
            CTSIM_LICENSE("GPL");
            __u64 hits;
            __s32 last_error;
            SEC("tc")
            int tc_udp_gate(struct __sk_buff *skb)
            {
                void *data = (void *)(long)skb->data;
                void *end = (void *)(long)skb->data_end;
                struct ethhdr *eth = data;
                if ((void *)(eth + 1) > end)
                    return TC_ACT_SHOT;
                if (eth->h_proto != bpf_htons(ETH_P_IP))
                    return TC_ACT_OK;
                struct iphdr *iph = (void *)(eth + 1);
                if ((void *)(iph + 1) > end)
                    return TC_ACT_SHOT;
                if (iph->protocol != IPPROTO_UDP || iph->ihl != 5)
                    return TC_ACT_OK;
                struct udphdr *uh = (void *)(iph + 1);
                if ((void *)(uh + 1) > end)
                    return TC_ACT_SHOT;
                struct bpf_sock_tuple tuple = {};
                tuple.ipv4.saddr = iph->saddr;
                tuple.ipv4.daddr = iph->daddr;
                tuple.ipv4.sport = uh->source;
                tuple.ipv4.dport = uh->dest;
                struct bpf_ct_opts opts = { .netns_id = BPF_F_CURRENT_NETNS, .l4proto = IPPROTO_UDP };
                struct nf_conn *ct = bpf_skb_ct_lookup(skb, &tuple, sizeof(tuple.ipv4), &opts, sizeof(opts));
                if (ct) {
                    hits++;
                    bpf_ct_release(ct);
                    return TC_ACT_OK;
                }
                last_error = opts.error;
                if (uh->dest != bpf_htons(53))
                    return TC_ACT_SHOT;
                struct bpf_ct_opts alloc_opts = { .netns_id = BPF_F_CURRENT_NETNS, .l4proto = IPPROTO_UDP };
                struct nf_conn___init *nct = bpf_skb_ct_alloc(skb, &tuple, sizeof(tuple.ipv4), &alloc_opts, sizeof(alloc_opts));
                if (!nct)
                    return TC_ACT_SHOT;
                bpf_ct_set_timeout(nct, 5000);
                nct->ct.mark = 7;
                ct = bpf_ct_insert_entry(nct);
                if (!ct)
                    return TC_ACT_SHOT;
                bpf_ct_release(ct);
                return TC_ACT_OK;
            }
            """)
    }

    /// A fresh temporary path, unique per test case.
    static func temporaryPath(_ suffix: String) -> String {
        NSTemporaryDirectory() + "ctsim-kittest-\(getpid())-\(UUID().uuidString)-\(suffix)"
    }
}

/// The path of the example firewall's object for the README examples: `bpf/build/xdp_ct_firewall.bpf.o`
/// in a user's tree; here compiled on demand from bpf/xdp_ct_firewall.bpf.c.
func firewallObject() throws -> String { try KitTestFiles.firewall() }
