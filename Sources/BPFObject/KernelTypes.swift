/// The generic UAPI and network types XDP/TC programs touch, described in Swift with the Linux
/// 6.18 layouts: `xdp_md`, `__sk_buff`, `ethhdr`, `vlan_hdr`, `iphdr`, `ipv6hdr`, `in6_addr`,
/// `tcphdr`, `udphdr`, `icmphdr`, `bpf_sock_tuple`. CO-RE relocations resolve against this BTF
/// when no host BTF is used. Conntrack types are not here: the conntrack kfunc set adds them
/// (`BTFBuilder(extending: KernelTypes.btf)`).
public enum KernelTypes {
    public static let btf: BTF = {
        var b = BTFBuilder()
        let u8 = b.int("unsigned char", size: 1, char: false)
        let u16 = b.int("unsigned short", size: 2)
        let u32 = b.int("unsigned int", size: 4)
        let u64 = b.int("long long unsigned int", size: 8)
        let t8 = b.typedef("__u8", u8), t16 = b.typedef("__u16", u16), t32 = b.typedef("__u32", u32), t64 = b.typedef("__u64", u64)
        let be16 = b.typedef("__be16", t16), be32 = b.typedef("__be32", t32), sum16 = b.typedef("__sum16", t16)

        _ = b.structure(
            "xdp_md", size: 24,
            members: [("data", t32, 0), ("data_end", t32, 32), ("data_meta", t32, 64), ("ingress_ifindex", t32, 96), ("rx_queue_index", t32, 128), ("egress_ifindex", t32, 160)])

        let flowKeys = b.forward("bpf_flow_keys"), sock = b.forward("bpf_sock")
        let flowUnion = b.structure("", size: 8, union: true, members: [("flow_keys", b.pointer(to: flowKeys), 0)])
        let skUnion = b.structure("", size: 8, union: true, members: [("sk", b.pointer(to: sock), 0)])
        let u32x4 = b.array(of: t32, count: 4), u32x5 = b.array(of: t32, count: 5)
        var skb: [(String, UInt32, Int)] = []
        for (i, name) in ["len", "pkt_type", "mark", "queue_mapping", "protocol", "vlan_present", "vlan_tci", "vlan_proto", "priority",
            "ingress_ifindex", "ifindex", "tc_index"].enumerated() { skb.append((name, t32, i * 32)) }
        skb.append(("cb", u32x5, 384))
        for (i, name) in ["hash", "tc_classid", "data", "data_end", "napi_id", "family", "remote_ip4", "local_ip4"].enumerated() {
            skb.append((name, t32, 544 + i * 32))
        }
        skb += [("remote_ip6", u32x4, 800), ("local_ip6", u32x4, 928), ("remote_port", t32, 1056), ("local_port", t32, 1088), ("data_meta", t32, 1120),
            ("", flowUnion, 1152), ("tstamp", t64, 1216), ("wire_len", t32, 1280), ("gso_segs", t32, 1312), ("", skUnion, 1344),
            ("gso_size", t32, 1408), ("tstamp_type", t8, 1440), ("hwtstamp", t64, 1472)]
        _ = b.structure("__sk_buff", size: 192, members: skb)

        let mac = b.array(of: u8, count: 6)
        _ = b.structure("ethhdr", size: 14, members: [("h_dest", mac, 0), ("h_source", mac, 48), ("h_proto", be16, 96)])
        _ = b.structure("vlan_hdr", size: 4, members: [("h_vlan_TCI", be16, 0), ("h_vlan_encapsulated_proto", be16, 16)])

        let v4pair = b.structure("", size: 8, members: [("saddr", be32, 0), ("daddr", be32, 32)])
        let v4addrs = b.structure("", size: 8, members: [("saddr", be32, 0), ("daddr", be32, 32)])
        let v4union = b.structure("", size: 8, union: true, members: [("", v4pair, 0), ("addrs", v4addrs, 0)])
        _ = b.composite(
            "iphdr", size: 20,
            members: [
                BTF.Member(name: "ihl", type: t8, bitOffset: 0, bitfieldSize: 4), BTF.Member(name: "version", type: t8, bitOffset: 4, bitfieldSize: 4),
                BTF.Member(name: "tos", type: t8, bitOffset: 8), BTF.Member(name: "tot_len", type: be16, bitOffset: 16),
                BTF.Member(name: "id", type: be16, bitOffset: 32), BTF.Member(name: "frag_off", type: be16, bitOffset: 48),
                BTF.Member(name: "ttl", type: t8, bitOffset: 64), BTF.Member(name: "protocol", type: t8, bitOffset: 72),
                BTF.Member(name: "check", type: sum16, bitOffset: 80), BTF.Member(name: "", type: v4union, bitOffset: 96),
            ])

        let in6u = b.structure(
            "", size: 16, union: true,
            members: [("u6_addr8", b.array(of: t8, count: 16), 0), ("u6_addr16", b.array(of: be16, count: 8), 0), ("u6_addr32", b.array(of: be32, count: 4), 0)])
        let in6 = b.structure("in6_addr", size: 16, members: [("in6_u", in6u, 0)])
        let v6pair = b.structure("", size: 32, members: [("saddr", in6, 0), ("daddr", in6, 128)])
        let v6addrs = b.structure("", size: 32, members: [("saddr", in6, 0), ("daddr", in6, 128)])
        let v6union = b.structure("", size: 32, union: true, members: [("", v6pair, 0), ("addrs", v6addrs, 0)])
        _ = b.composite(
            "ipv6hdr", size: 40,
            members: [
                BTF.Member(name: "priority", type: t8, bitOffset: 0, bitfieldSize: 4), BTF.Member(name: "version", type: t8, bitOffset: 4, bitfieldSize: 4),
                BTF.Member(name: "flow_lbl", type: b.array(of: t8, count: 3), bitOffset: 8), BTF.Member(name: "payload_len", type: be16, bitOffset: 32),
                BTF.Member(name: "nexthdr", type: t8, bitOffset: 48), BTF.Member(name: "hop_limit", type: t8, bitOffset: 56),
                BTF.Member(name: "", type: v6union, bitOffset: 64),
            ])

        var tcp: [BTF.Member] = [
            BTF.Member(name: "source", type: be16, bitOffset: 0), BTF.Member(name: "dest", type: be16, bitOffset: 16),
            BTF.Member(name: "seq", type: be32, bitOffset: 32), BTF.Member(name: "ack_seq", type: be32, bitOffset: 64),
        ]
        var bit: UInt32 = 96
        for (name, width) in [("ae", 1), ("res1", 3), ("doff", 4), ("fin", 1), ("syn", 1), ("rst", 1), ("psh", 1), ("ack", 1), ("urg", 1), ("ece", 1), ("cwr", 1)] {
            tcp.append(BTF.Member(name: name, type: t16, bitOffset: bit, bitfieldSize: UInt32(width)))
            bit += UInt32(width)
        }
        tcp += [BTF.Member(name: "window", type: be16, bitOffset: 112), BTF.Member(name: "check", type: sum16, bitOffset: 128), BTF.Member(name: "urg_ptr", type: be16, bitOffset: 144)]
        _ = b.composite("tcphdr", size: 20, members: tcp)
        _ = b.structure("udphdr", size: 8, members: [("source", be16, 0), ("dest", be16, 16), ("len", be16, 32), ("check", sum16, 48)])

        let echo = b.structure("", size: 4, members: [("id", be16, 0), ("sequence", be16, 16)])
        let frag = b.structure("", size: 4, members: [("__unused", be16, 0), ("mtu", be16, 16)])
        let un = b.structure("", size: 4, union: true, members: [("echo", echo, 0), ("gateway", be32, 0), ("frag", frag, 0), ("reserved", b.array(of: t8, count: 4), 0)])
        _ = b.structure("icmphdr", size: 8, members: [("type", t8, 0), ("code", t8, 8), ("checksum", sum16, 16), ("un", un, 32)])

        let tuple4 = b.structure("", size: 12, members: [("saddr", be32, 0), ("daddr", be32, 32), ("sport", be16, 64), ("dport", be16, 80)])
        let be32x4 = b.array(of: be32, count: 4)
        let tuple6 = b.structure("", size: 36, members: [("saddr", be32x4, 0), ("daddr", be32x4, 128), ("sport", be16, 256), ("dport", be16, 272)])
        let tupleUnion = b.structure("", size: 36, union: true, members: [("ipv4", tuple4, 0), ("ipv6", tuple6, 0)])
        _ = b.structure("bpf_sock_tuple", size: 36, members: [("", tupleUnion, 0)])
        return b.btf
    }()

    /// The struct names this BTF describes (for layout checks against a host BTF).
    public static let structureNames = ["xdp_md", "__sk_buff", "ethhdr", "vlan_hdr", "iphdr", "ipv6hdr", "in6_addr", "tcphdr", "udphdr", "icmphdr", "bpf_sock_tuple"]
}
