/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ctsim/vmlinux_min.h - the few kernel types ctsim's BPF programs need.
 *
 * This is NOT a copy of vmlinux.h.  The declarations were written for ctsim
 * from the UAPI ABI (linux/bpf.h, if_ether.h, ip.h, ipv6.h, tcp.h, udp.h,
 * icmp.h) and from the layout of the conntrack structures as reported by the
 * 6.18 kernel's BTF (see /work/shared/reference/kernel-facts.md, section 5).
 *
 * CO-RE: every kernel-owned record below is compiled with
 * __attribute__((preserve_access_index)) (applied by a pragma, which also
 * covers nested anonymous structs/unions), exactly as in a bpftool-generated
 * vmlinux.h.  Field accesses therefore become CO-RE relocations that libbpf
 * (or ctsim's simulator) resolves against the target kernel's BTF by field
 * NAME.  Only the fields a program actually touches have to exist in the
 * target; names follow the kernel's so that they can be matched.  The local
 * layouts were nevertheless written to match 6.18 byte for byte (checked
 * with _Static_assert below), so a consumer that ignores relocations still
 * gets 6.18 offsets.
 *
 * Deliberate exception: struct bpf_sock_tuple and struct bpf_ct_opts are NOT
 * relocatable.  They are caller-owned buffers handed to the kfuncs as
 * (pointer, size) pairs; the kernel reads them at its own fixed offsets after
 * validating the size argument (tuple__sz 12/36, opts__sz 12/16), so moving
 * individual fields by CO-RE while keeping the local sizeof() would be wrong.
 * This mirrors the kernel selftests, which use a local, non-CO-RE opts type.
 */
#ifndef CTSIM_VMLINUX_MIN_H
#define CTSIM_VMLINUX_MIN_H

#include "bpf_base.h"

/* ======================================================================== */
/* Constants (UAPI #defines; not present in BTF, so they are plain macros)  */
/* ======================================================================== */

/* <linux/if_ether.h> */
#define ETH_ALEN      6
#define ETH_HLEN      14
#define ETH_P_IP      0x0800   /* IPv4 */
#define ETH_P_ARP     0x0806
#define ETH_P_8021Q   0x8100   /* 802.1Q VLAN tag */
#define ETH_P_IPV6    0x86DD   /* IPv6 */
#define ETH_P_8021AD  0x88A8   /* 802.1ad QinQ service tag */

/* <linux/if_vlan.h> */
#define VLAN_HLEN      4
#define VLAN_VID_MASK  0x0fff
#define VLAN_PRIO_MASK 0xe000
#define VLAN_PRIO_SHIFT 13

/* <linux/in.h>, <linux/in6.h> (IP protocol / IPv6 next-header numbers) */
#ifndef IPPROTO_IP
#define IPPROTO_IP        0
#define IPPROTO_HOPOPTS   0    /* IPv6 hop-by-hop options */
#define IPPROTO_ICMP      1
#define IPPROTO_TCP       6
#define IPPROTO_UDP       17
#define IPPROTO_IPV6      41
#define IPPROTO_ROUTING   43   /* IPv6 routing header */
#define IPPROTO_FRAGMENT  44   /* IPv6 fragment header */
#define IPPROTO_GRE       47
#define IPPROTO_ICMPV6    58
#define IPPROTO_NONE      59   /* IPv6 no next header */
#define IPPROTO_DSTOPTS   60   /* IPv6 destination options */
#define IPPROTO_SCTP      132
#define IPPROTO_UDPLITE   136
#define IPPROTO_RAW       255
#endif

/* struct iphdr.frag_off (host order after bpf_ntohs) */
#define IP_CE       0x8000
#define IP_DF       0x4000
#define IP_MF       0x2000
#define IP_OFFSET   0x1FFF

/* Address families (nf_conntrack_man.l3num) */
#define AF_INET   2
#define AF_INET6  10

/* ======================================================================== */
/* Kernel-owned records: CO-RE relocatable                                  */
/* ======================================================================== */

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

/* ---- program contexts (UAPI <linux/bpf.h>) ----------------------------- */

/* XDP context.  data/data_end/data_meta are rewritten by the verifier into
 * real packet pointers; cast with (void *)(long)ctx->data. */
struct xdp_md {
	__u32 data;
	__u32 data_end;
	__u32 data_meta;
	/* below access go through struct xdp_rxq_info */
	__u32 ingress_ifindex;   /* rxq->dev->ifindex */
	__u32 rx_queue_index;    /* rxq->queue_index  */
	__u32 egress_ifindex;    /* txq->dev->ifindex */
};

struct bpf_flow_keys;
struct bpf_sock;

/* A pointer member kept 8 bytes wide on every architecture (UAPI __bpf_md_ptr). */
#define __ctsim_md_ptr(type, name) \
	union {                    \
		type name;         \
		__u64 : 64;        \
	} __attribute__((aligned(8)))

/* tc / socket-filter context: the full UAPI layout (192 bytes on 6.18). */
struct __sk_buff {
	__u32 len;
	__u32 pkt_type;
	__u32 mark;
	__u32 queue_mapping;
	__u32 protocol;
	__u32 vlan_present;
	__u32 vlan_tci;
	__u32 vlan_proto;
	__u32 priority;
	__u32 ingress_ifindex;
	__u32 ifindex;
	__u32 tc_index;
	__u32 cb[5];
	__u32 hash;
	__u32 tc_classid;
	__u32 data;
	__u32 data_end;
	__u32 napi_id;

	/* socket fields (sk_skb / sk_msg style programs) */
	__u32 family;
	__u32 remote_ip4;	/* network byte order */
	__u32 local_ip4;	/* network byte order */
	__u32 remote_ip6[4];	/* network byte order */
	__u32 local_ip6[4];	/* network byte order */
	__u32 remote_port;	/* network byte order */
	__u32 local_port;	/* host byte order */

	__u32 data_meta;
	__ctsim_md_ptr(struct bpf_flow_keys *, flow_keys);
	__u64 tstamp;
	__u32 wire_len;
	__u32 gso_segs;
	__ctsim_md_ptr(struct bpf_sock *, sk);
	__u32 gso_size;
	__u8  tstamp_type;
	__u32 : 24;		/* padding */
	__u64 hwtstamp;
};

/* ---- packet headers --------------------------------------------------- */

struct ethhdr {
	unsigned char h_dest[ETH_ALEN];
	unsigned char h_source[ETH_ALEN];
	__be16        h_proto;
};

/* 802.1Q / 802.1ad tag as it follows the MAC addresses (after h_proto). */
struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

struct in_addr {
	__be32 s_addr;
};

struct in6_addr {
	union {
		__u8   u6_addr8[16];
		__be16 u6_addr16[8];
		__be32 u6_addr32[4];
	} in6_u;
};

struct iphdr {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	__u8 ihl : 4,
	     version : 4;
#else
	__u8 version : 4,
	     ihl : 4;
#endif
	__u8    tos;
	__be16  tot_len;
	__be16  id;
	__be16  frag_off;
	__u8    ttl;
	__u8    protocol;
	__sum16 check;
	/* The kernel declares the addresses with __struct_group(): an anonymous
	 * union of the plain fields and an identical struct named "addrs". */
	union {
		struct {
			__be32 saddr;
			__be32 daddr;
		};
		struct {
			__be32 saddr;
			__be32 daddr;
		} addrs;
	};
};

struct ipv6hdr {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	__u8 priority : 4,
	     version : 4;
#else
	__u8 version : 4,
	     priority : 4;
#endif
	__u8   flow_lbl[3];
	__be16 payload_len;
	__u8   nexthdr;
	__u8   hop_limit;
	union {
		struct {
			struct in6_addr saddr;
			struct in6_addr daddr;
		};
		struct {
			struct in6_addr saddr;
			struct in6_addr daddr;
		} addrs;
	};
};

struct tcphdr {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	__u16 ae : 1,
	      res1 : 3,
	      doff : 4,
	      fin : 1,
	      syn : 1,
	      rst : 1,
	      psh : 1,
	      ack : 1,
	      urg : 1,
	      ece : 1,
	      cwr : 1;
#else
	__u16 doff : 4,
	      res1 : 3,
	      ae : 1,
	      cwr : 1,
	      ece : 1,
	      urg : 1,
	      ack : 1,
	      psh : 1,
	      rst : 1,
	      syn : 1,
	      fin : 1;
#endif
	__be16  window;
	__sum16 check;
	__be16  urg_ptr;
};

struct udphdr {
	__be16  source;
	__be16  dest;
	__be16  len;
	__sum16 check;
};

struct icmphdr {
	__u8    type;
	__u8    code;
	__sum16 checksum;
	union {
		struct {
			__be16 id;
			__be16 sequence;
		} echo;
		__be32 gateway;
		struct {
			__be16 __unused;
			__be16 mtu;
		} frag;
		__u8 reserved[4];
	} un;
};

/* ---- nf_conntrack ----------------------------------------------------- */

/* Minimal stand-ins for kernel infrastructure types.  Sizes match 6.18
 * x86_64 (non-debug spinlocks); their insides are never meant to be read,
 * except nf_conntrack.use.refs.counter (the reference count). */
typedef struct {
	int counter;
} atomic_t;

typedef struct refcount_struct {
	atomic_t refs;
} refcount_t;

typedef struct spinlock {
	__u32 __opaque;		/* raw lock word */
} spinlock_t;

struct net;
typedef struct {
	struct net *net;
} possible_net_t;

struct hlist_node {
	struct hlist_node *next;
	struct hlist_node **pprev;
};

struct hlist_nulls_node {
	struct hlist_nulls_node *next;
	struct hlist_nulls_node **pprev;
};

struct nf_ct_ext;

struct nf_conntrack {
	refcount_t use;
};

/* 16-byte address; IPv4 uses only .ip (the first 4 bytes). */
union nf_inet_addr {
	__u32           all[4];
	__be32          ip;
	__be32          ip6[4];
	struct in_addr  in;
	struct in6_addr in6;
};

/* Per-protocol "source" part of a tuple (ports are network byte order). */
union nf_conntrack_man_proto {
	__be16 all;
	struct { __be16 port; } tcp;
	struct { __be16 port; } udp;
	struct { __be16 id; } icmp;
	struct { __be16 port; } dccp;
	struct { __be16 port; } sctp;
	struct { __be16 key; } gre;
};

/* The manipulable (source) half of a tuple. */
struct nf_conntrack_man {
	union nf_inet_addr           u3;
	union nf_conntrack_man_proto u;
	__u16                        l3num;	/* AF_INET / AF_INET6 */
};

/* A connection tuple: 40 bytes. */
struct nf_conntrack_tuple {
	struct nf_conntrack_man src;

	/* The fixed (destination) half. */
	struct {
		union nf_inet_addr u3;
		union {
			__be16 all;
			struct { __be16 port; } tcp;
			struct { __be16 port; } udp;
			struct { __u8 type, code; } icmp;
			struct { __be16 port; } dccp;
			struct { __be16 port; } sctp;
			struct { __be16 key; } gre;
		} u;
		__u8 protonum;		/* IPPROTO_* */
		/* (the kernel has a zero-size __nfct_hash_offsetend marker here) */
		__u8 dir;		/* enum ip_conntrack_dir of this tuple */
	} dst;
};

struct nf_conntrack_tuple_hash {
	struct hlist_nulls_node   hnnode;
	struct nf_conntrack_tuple tuple;
};

/* Conntrack zone: id plus the directions it applies to. */
struct nf_conntrack_zone {
	__u16 id;
	__u8  flags;
	__u8  dir;		/* NF_CT_ZONE_DIR_* bits */
};

/* TCP tracking state per direction. */
struct ip_ct_tcp_state {
	__u32 td_end;		/* max of seq + len */
	__u32 td_maxend;	/* max of ack + max(win, 1) */
	__u32 td_maxwin;	/* max(win) */
	__u32 td_maxack;	/* max of ack */
	__u8  td_scale;		/* window scale factor */
	__u8  flags;		/* per-direction options */
};

struct ip_ct_tcp {
	struct ip_ct_tcp_state seen[2];	/* [IP_CT_DIR_ORIGINAL], [IP_CT_DIR_REPLY] */
	__u8  state;			/* enum tcp_conntrack */
	__u8  last_dir;
	__u8  retrans;
	__u8  last_index;
	__u32 last_seq;
	__u32 last_ack;
	__u32 last_end;
	__u16 last_win;
	__u8  last_wscale;
	__u8  last_flags;
};

struct nf_ct_udp {
	unsigned long stream_ts;
};

/* Per-L4 private state (64 bytes on 6.18; sctp/gre members omitted). */
union nf_conntrack_proto {
	struct ip_ct_tcp tcp;
	struct nf_ct_udp udp;
	unsigned int     tmpl_padto;
};

/*
 * The connection tracking entry (248 bytes on 6.18, kernel-facts section 5).
 *
 * Readable through a pointer returned by the conntrack kfuncs.  The only
 * field a program may WRITE (v6.1+) is `mark` (1/2/4-byte stores that start
 * at it); any other store is rejected by the verifier.
 *
 *   timeout  jiffies: relative while unconfirmed, absolute (u32) afterwards;
 *            seconds left = (__u32)(ct->timeout - bpf_jiffies64()) / HZ
 *   status   IPS_* bits (enum ip_conntrack_status)
 *   tuplehash[IP_CT_DIR_ORIGINAL / IP_CT_DIR_REPLY].tuple
 */
struct nf_conn {
	struct nf_conntrack ct_general;		/* .use.refs.counter = refcount */
	spinlock_t lock;
	__u32 timeout;
	struct nf_conntrack_zone zone;
	struct nf_conntrack_tuple_hash tuplehash[2];
	unsigned long status;
	possible_net_t ct_net;
	struct hlist_node nat_bysource;
	/* (the kernel has a zero-size __nfct_init_offset marker here: fields
	 *  from master on are zeroed by nf_conntrack_alloc) */
	struct nf_conn *master;
	__u32 mark;
	__u32 secmark;
	struct nf_ct_ext *ext;
	union nf_conntrack_proto proto;
};

/*
 * An allocated but not yet inserted entry.  The verifier treats the
 * "___init" suffix as a no-cast alias: a pointer to nf_conn___init is never
 * accepted where struct nf_conn * is expected, and vice versa.  The only way
 * to consume it is bpf_ct_insert_entry().
 */
struct nf_conn___init {
	struct nf_conn ct;
};

#pragma clang attribute pop

/* ======================================================================== */
/* Enumerations (values as in the 6.18 BTF)                                 */
/* ======================================================================== */

enum ip_conntrack_dir {
	IP_CT_DIR_ORIGINAL = 0,
	IP_CT_DIR_REPLY    = 1,
	IP_CT_DIR_MAX      = 2,
};

/* ct->status bits */
enum ip_conntrack_status {
	IPS_EXPECTED_BIT      = 0,
	IPS_EXPECTED          = 1 << IPS_EXPECTED_BIT,
	IPS_SEEN_REPLY_BIT    = 1,
	IPS_SEEN_REPLY        = 1 << IPS_SEEN_REPLY_BIT,
	IPS_ASSURED_BIT       = 2,
	IPS_ASSURED           = 1 << IPS_ASSURED_BIT,
	IPS_CONFIRMED_BIT     = 3,
	IPS_CONFIRMED         = 1 << IPS_CONFIRMED_BIT,
	IPS_SRC_NAT_BIT       = 4,
	IPS_SRC_NAT           = 1 << IPS_SRC_NAT_BIT,
	IPS_DST_NAT_BIT       = 5,
	IPS_DST_NAT           = 1 << IPS_DST_NAT_BIT,
	IPS_NAT_MASK          = IPS_DST_NAT | IPS_SRC_NAT,
	IPS_SEQ_ADJUST_BIT    = 6,
	IPS_SEQ_ADJUST        = 1 << IPS_SEQ_ADJUST_BIT,
	IPS_SRC_NAT_DONE_BIT  = 7,
	IPS_SRC_NAT_DONE      = 1 << IPS_SRC_NAT_DONE_BIT,
	IPS_DST_NAT_DONE_BIT  = 8,
	IPS_DST_NAT_DONE      = 1 << IPS_DST_NAT_DONE_BIT,
	IPS_NAT_DONE_MASK     = IPS_DST_NAT_DONE | IPS_SRC_NAT_DONE,
	IPS_DYING_BIT         = 9,
	IPS_DYING             = 1 << IPS_DYING_BIT,
	IPS_FIXED_TIMEOUT_BIT = 10,
	IPS_FIXED_TIMEOUT     = 1 << IPS_FIXED_TIMEOUT_BIT,
	IPS_TEMPLATE_BIT      = 11,
	IPS_TEMPLATE          = 1 << IPS_TEMPLATE_BIT,
	IPS_UNTRACKED_BIT     = 12,
	IPS_UNTRACKED         = 1 << IPS_UNTRACKED_BIT,
	IPS_NAT_CLASH_BIT     = IPS_UNTRACKED_BIT,
	IPS_NAT_CLASH         = IPS_UNTRACKED,
	IPS_HELPER_BIT        = 13,
	IPS_HELPER            = 1 << IPS_HELPER_BIT,
	IPS_OFFLOAD_BIT       = 14,
	IPS_OFFLOAD           = 1 << IPS_OFFLOAD_BIT,
	IPS_HW_OFFLOAD_BIT    = 15,
	IPS_HW_OFFLOAD        = 1 << IPS_HW_OFFLOAD_BIT,
	/* Bits a kfunc can never change: 0xDBF9.  bpf_ct_set_status /
	 * bpf_ct_change_status can only ever SET SEEN_REPLY, ASSURED,
	 * FIXED_TIMEOUT and HELPER (nothing is ever cleared). */
	IPS_UNCHANGEABLE_MASK = IPS_NAT_DONE_MASK | IPS_NAT_MASK |
				IPS_EXPECTED | IPS_CONFIRMED | IPS_DYING |
				IPS_SEQ_ADJUST | IPS_TEMPLATE | IPS_UNTRACKED |
				IPS_OFFLOAD | IPS_HW_OFFLOAD,
	__IPS_MAX_BIT         = 16,
};

/* ct->proto.tcp.state */
enum tcp_conntrack {
	TCP_CONNTRACK_NONE        = 0,	/* what kfunc-created TCP entries start in */
	TCP_CONNTRACK_SYN_SENT    = 1,
	TCP_CONNTRACK_SYN_RECV    = 2,
	TCP_CONNTRACK_ESTABLISHED = 3,
	TCP_CONNTRACK_FIN_WAIT    = 4,
	TCP_CONNTRACK_CLOSE_WAIT  = 5,
	TCP_CONNTRACK_LAST_ACK    = 6,
	TCP_CONNTRACK_TIME_WAIT   = 7,
	TCP_CONNTRACK_CLOSE       = 8,
	TCP_CONNTRACK_LISTEN      = 9,	/* also SYN_SENT2 */
	TCP_CONNTRACK_MAX         = 10,
	TCP_CONNTRACK_IGNORE      = 11,
	TCP_CONNTRACK_RETRANS     = 12,
	TCP_CONNTRACK_UNACK       = 13,
	TCP_CONNTRACK_TIMEOUT_MAX = 14,
};

/* nf_conntrack_zone.dir / bpf_ct_opts.ct_zone_dir bits */
#define NF_CT_ZONE_DIR_ORIG     (1 << IP_CT_DIR_ORIGINAL)
#define NF_CT_ZONE_DIR_REPL     (1 << IP_CT_DIR_REPLY)
#define NF_CT_DEFAULT_ZONE_DIR  (NF_CT_ZONE_DIR_ORIG | NF_CT_ZONE_DIR_REPL)
#define NF_CT_DEFAULT_ZONE_ID   0

/* ======================================================================== */
/* kfunc argument buffers (caller-owned, fixed ABI, NOT relocated)          */
/* ======================================================================== */

/*
 * Lookup/alloc key, UAPI <linux/bpf.h>.  All fields network byte order.
 * Pass tuple__sz = sizeof(tuple.ipv4) (12) for IPv4 or sizeof(tuple.ipv6)
 * (36) for IPv6; any other size fails with -EAFNOSUPPORT.
 */
struct bpf_sock_tuple {
	union {
		struct {
			__be32 saddr;
			__be32 daddr;
			__be16 sport;
			__be16 dport;
		} ipv4;
		struct {
			__be32 saddr[4];
			__be32 daddr[4];
			__be16 sport;
			__be16 dport;
		} ipv6;
	};
};

/*
 * Options for bpf_{xdp,skb}_ct_{lookup,alloc}: the v6.11+ (and 6.18) layout,
 * 16 bytes.  Kernels 6.0 ... 6.10 accept only the first 12 bytes
 * (opts__sz = NF_BPF_CT_OPTS_SZ_V60) and have `u8 reserved[2]` where
 * ct_zone_id is; 6.11+ accept both 12 and 16.
 *
 *   netns_id     in: -1 = namespace of the packet (BPF_F_CURRENT_NETNS),
 *                    >= 0 = peer netns id, < -1 = -EINVAL
 *   error        out: -errno when NULL is returned (not written on success)
 *   l4proto      in: IPPROTO_TCP or IPPROTO_UDP (else -EPROTO)
 *   dir          out (lookup): direction of the matched tuple (IP_CT_DIR_*)
 *   ct_zone_id   in: zone id (16-byte opts only)
 *   ct_zone_dir  in/out: NF_CT_ZONE_DIR_* bits; 0 is rewritten to 3 (both)
 *   reserved     must be zero (else -EINVAL)
 */
struct bpf_ct_opts {
	__s32 netns_id;
	__s32 error;
	__u8  l4proto;
	__u8  dir;
	__u16 ct_zone_id;
	__u8  ct_zone_dir;
	__u8  reserved[3];
};

#define BPF_F_CURRENT_NETNS     (-1)
#define NF_BPF_CT_OPTS_SZ       16	/* 6.11+ (6.18) */
#define NF_BPF_CT_OPTS_SZ_V60   12	/* 6.0 ... 6.10 layout, still accepted */

/* ======================================================================== */
/* Layout self-checks against the 6.18 BTF                                  */
/* ======================================================================== */

#define __ctsim_check(expr) _Static_assert(expr, #expr)

__ctsim_check(sizeof(struct xdp_md) == 24);
__ctsim_check(sizeof(struct __sk_buff) == 192);
__ctsim_check(offsetof(struct __sk_buff, data_meta) == 140);
__ctsim_check(offsetof(struct __sk_buff, tstamp) == 152);
__ctsim_check(offsetof(struct __sk_buff, gso_size) == 176);
__ctsim_check(offsetof(struct __sk_buff, hwtstamp) == 184);
__ctsim_check(sizeof(struct ethhdr) == 14);
__ctsim_check(sizeof(struct iphdr) == 20);
__ctsim_check(sizeof(struct ipv6hdr) == 40);
__ctsim_check(sizeof(struct tcphdr) == 20);
__ctsim_check(sizeof(struct udphdr) == 8);
__ctsim_check(sizeof(struct icmphdr) == 8);
__ctsim_check(sizeof(struct bpf_sock_tuple) == 36);
__ctsim_check(sizeof(((struct bpf_sock_tuple *)0)->ipv4) == 12);
__ctsim_check(sizeof(((struct bpf_sock_tuple *)0)->ipv6) == 36);
__ctsim_check(sizeof(struct bpf_ct_opts) == NF_BPF_CT_OPTS_SZ);
__ctsim_check(sizeof(struct nf_conntrack_tuple) == 40);
__ctsim_check(sizeof(struct nf_conntrack_tuple_hash) == 56);
__ctsim_check(sizeof(union nf_conntrack_proto) == 64);
__ctsim_check(offsetof(struct nf_conn, timeout) == 8);
__ctsim_check(offsetof(struct nf_conn, zone) == 12);
__ctsim_check(offsetof(struct nf_conn, tuplehash) == 16);
__ctsim_check(offsetof(struct nf_conn, status) == 128);
__ctsim_check(offsetof(struct nf_conn, master) == 160);
__ctsim_check(offsetof(struct nf_conn, mark) == 168);
__ctsim_check(offsetof(struct nf_conn, proto) == 184);
__ctsim_check(sizeof(struct nf_conn) == 248);

#endif /* CTSIM_VMLINUX_MIN_H */
