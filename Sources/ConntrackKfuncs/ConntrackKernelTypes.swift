import BPFObject
import Kfuncs

/// The conntrack types and kfunc prototypes, built on `KernelTypes.btf` with 6.18 layouts:
/// `nf_conn` (248 bytes; timeout @8, zone @12, tuplehash @16, status @128, mark @168),
/// `nf_conn___init`, `nf_conntrack_tuple`, `bpf_ct_opts`, `union nf_inet_addr`, `enum nf_nat_manip_type`.
public enum ConntrackKernelTypes {
    /// Byte offsets in `struct nf_conn`.
    public enum Offset {
        public static let use = 0
        public static let timeout = 8
        public static let zone = 12
        /// `tuplehash[dir].tuple`.
        public static func tuple(_ direction: Int) -> Int { 32 + direction * 56 }
        public static let status = 128
        public static let mark = 168
        public static let secmark = 172
        public static let size = 248
    }

    /// The BTF and the FUNC ids of the eleven kfuncs, by name.
    public static func build(profile: ConntrackKernelProfile) -> (btf: BTF, functions: [String: UInt32]) {
        var b = BTFBuilder(extending: KernelTypes.btf)
        let u8 = b.int("unsigned char", size: 1), u16 = b.int("unsigned short", size: 2)
        let u32 = b.int("unsigned int", size: 4), s32 = b.int("int", size: 4, signed: true)
        let ulong = b.int("long unsigned int", size: 8)
        let tu8 = b.typedef("u8", u8), tu16 = b.typedef("u16", u16), tu32 = b.typedef("u32", u32), ts32 = b.typedef("s32", s32)
        let be16 = b.btf.firstID(named: "__be16", kind: .typedef) ?? u16
        let be32 = b.btf.firstID(named: "__be32", kind: .typedef) ?? u32
        let u_int8 = b.typedef("u_int8_t", u8), u_int16 = b.typedef("u_int16_t", u16), u_int32 = b.typedef("u_int32_t", u32)
        let in6 = b.btf.firstID(named: "in6_addr", kind: .structure) ?? 0

        let inAddr = b.structure("in_addr", size: 4, members: [("s_addr", be32, 0)])
        let inet = b.structure(
            "nf_inet_addr", size: 16, union: true,
            members: [("all", b.array(of: b.typedef("__u32", u32), count: 4), 0), ("ip", be32, 0), ("ip6", b.array(of: be32, count: 4), 0),
                ("in", inAddr, 0), ("in6", in6, 0)])
        let port = b.structure("", size: 2, members: [("port", be16, 0)])
        let icmpID = b.structure("", size: 2, members: [("id", be16, 0)])
        let manProto = b.structure(
            "nf_conntrack_man_proto", size: 2, union: true,
            members: [("all", be16, 0), ("tcp", port, 0), ("udp", port, 0), ("icmp", icmpID, 0), ("dccp", port, 0), ("sctp", port, 0)])
        let man = b.structure("nf_conntrack_man", size: 20, members: [("u3", inet, 0), ("u", manProto, 128), ("l3num", u_int16, 144)])
        let icmpTC = b.structure("", size: 2, members: [("type", u_int8, 0), ("code", u_int8, 8)])
        let dstU = b.structure("", size: 2, union: true, members: [("all", be16, 0), ("tcp", port, 0), ("udp", port, 0), ("icmp", icmpTC, 0)])
        let dst = b.structure("", size: 20, members: [("u3", inet, 0), ("u", dstU, 128), ("protonum", u_int8, 144), ("dir", u_int8, 152)])
        let tuple = b.structure("nf_conntrack_tuple", size: 40, members: [("src", man, 0), ("dst", dst, 160)])
        let anyPtr = b.pointer(to: 0)
        let hnode = b.structure("hlist_nulls_node", size: 16, members: [("next", anyPtr, 0), ("pprev", anyPtr, 64)])
        let tupleHash = b.structure("nf_conntrack_tuple_hash", size: 56, members: [("hnnode", hnode, 0), ("tuple", tuple, 128)])
        let atomic = b.structure("", size: 4, members: [("counter", s32, 0)])
        let refcount = b.structure("refcount_struct", size: 4, members: [("refs", b.typedef("atomic_t", atomic), 0)])
        let general = b.structure("nf_conntrack", size: 4, members: [("use", b.typedef("refcount_t", refcount), 0)])
        let zone = b.structure("nf_conntrack_zone", size: 4, members: [("id", tu16, 0), ("flags", tu8, 16), ("dir", tu8, 24)])
        let lock = b.structure("spinlock", size: 4, members: [("raw", u32, 0)])
        let net = b.forward("net")
        let possibleNet = b.structure("", size: 8, members: [("net", b.pointer(to: net), 0)])
        let hlist = b.structure("hlist_node", size: 16, members: [("next", anyPtr, 0), ("pprev", anyPtr, 64)])
        let ext = b.forward("nf_ct_ext")
        let proto = b.structure("nf_conntrack_proto", size: 64, union: true, members: [("raw", b.array(of: u8, count: 64), 0)])
        let conn = b.declareStructure("nf_conn", size: Offset.size)
        b.define(
            conn,
            members: [
                BTF.Member(name: "ct_general", type: general, bitOffset: 0), BTF.Member(name: "lock", type: lock, bitOffset: 32),
                BTF.Member(name: "timeout", type: tu32, bitOffset: 64), BTF.Member(name: "zone", type: zone, bitOffset: 96),
                BTF.Member(name: "tuplehash", type: b.array(of: tupleHash, count: 2), bitOffset: 128),
                BTF.Member(name: "status", type: ulong, bitOffset: 1024),
                BTF.Member(name: "ct_net", type: b.typedef("possible_net_t", possibleNet), bitOffset: 1088),
                BTF.Member(name: "nat_bysource", type: hlist, bitOffset: 1152),
                BTF.Member(name: "master", type: b.pointer(to: conn), bitOffset: 1280),
                BTF.Member(name: "mark", type: u_int32, bitOffset: 1344), BTF.Member(name: "secmark", type: u_int32, bitOffset: 1376),
                BTF.Member(name: "ext", type: b.pointer(to: ext), bitOffset: 1408), BTF.Member(name: "proto", type: proto, bitOffset: 1472),
            ])
        let connInit = b.structure("nf_conn___init", size: Offset.size, members: [("ct", conn, 0)])
        let opts: UInt32
        if profile.zones {
            opts = b.structure(
                "bpf_ct_opts", size: 16,
                members: [("netns_id", ts32, 0), ("error", ts32, 32), ("l4proto", tu8, 64), ("dir", tu8, 72), ("ct_zone_id", tu16, 80),
                    ("ct_zone_dir", tu8, 96), ("reserved", b.array(of: tu8, count: 3), 104)])
        } else {
            opts = b.structure(
                "bpf_ct_opts", size: 12,
                members: [("netns_id", ts32, 0), ("error", ts32, 32), ("l4proto", tu8, 64), ("dir", tu8, 72), ("reserved", b.array(of: tu8, count: 2), 80)])
        }
        let manip = b.enumeration("nf_nat_manip_type", values: [("NF_NAT_MANIP_SRC", 0), ("NF_NAT_MANIP_DST", 1)])

        let xdp = b.btf.firstID(named: "xdp_md", kind: .structure) ?? 0
        let skb = b.btf.firstID(named: "__sk_buff", kind: .structure) ?? 0
        let sockTuple = b.btf.firstID(named: "bpf_sock_tuple", kind: .structure) ?? 0
        let connPtr = b.pointer(to: conn), initPtr = b.pointer(to: connInit)
        let tuplePtr = b.pointer(to: sockTuple), optsPtr = b.pointer(to: opts)
        var functions: [String: UInt32] = [:]
        func kfunc(_ name: String, _ ret: UInt32, _ params: [(String, UInt32)]) {
            let f = b.function(name, proto: b.functionProto(returning: ret, parameters: params))
            _ = b.declTag("bpf_kfunc", on: f)
            functions[name] = f
        }
        let tail: [(String, UInt32)] = [("bpf_tuple", tuplePtr), ("tuple__sz", tu32), ("opts", optsPtr), ("opts__sz", tu32)]
        kfunc("bpf_xdp_ct_alloc", initPtr, [("xdp_ctx", b.pointer(to: xdp))] + tail)
        kfunc("bpf_xdp_ct_lookup", connPtr, [("xdp_ctx", b.pointer(to: xdp))] + tail)
        kfunc("bpf_skb_ct_alloc", initPtr, [("skb_ctx", b.pointer(to: skb))] + tail)
        kfunc("bpf_skb_ct_lookup", connPtr, [("skb_ctx", b.pointer(to: skb))] + tail)
        kfunc("bpf_ct_insert_entry", connPtr, [("nfct_i", initPtr)])
        kfunc("bpf_ct_release", 0, [("nfct", connPtr)])
        kfunc("bpf_ct_set_timeout", 0, [("nfct", initPtr), ("timeout", tu32)])
        kfunc("bpf_ct_change_timeout", s32, [("nfct", connPtr), ("timeout", tu32)])
        kfunc("bpf_ct_set_status", s32, [("nfct", b.pointer(to: b.const(connInit))), ("status", tu32)])
        kfunc("bpf_ct_change_status", s32, [("nfct", connPtr), ("status", tu32)])
        if profile.natInfo {
            kfunc("bpf_ct_set_nat_info", s32, [("nfct", initPtr), ("addr", b.pointer(to: inet)), ("port", s32), ("manip", manip)])
        }
        return (b.btf, functions)
    }
}
