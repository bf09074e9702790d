// SPDX-License-Identifier: GPL-2.0-only
/*
 * tc_ct_mark.bpf.c - a TC classifier that labels every TCP/UDP flow with a
 * service class kept in the conntrack entry's mark (nf_conn->mark), and
 * copies it into skb->mark for the rest of the stack (routing rules, qdiscs,
 * nftables "meta mark") to act on.
 *
 * The class is decided once, on the first packet of a flow, from the
 * service port (the destination port if it is a known service, else the
 * source port, so a flow first seen from the server side is classified too):
 *
 *     80, 443, 8080  -> MARK_WEB   (0x10)
 *     53             -> MARK_DNS   (0x20)
 *     22             -> MARK_SSH   (0x30)
 *     anything else  -> MARK_BULK  (0x40)
 *
 * Per TCP/UDP packet (IPv4 or IPv6, one optional VLAN tag):
 *
 *   lookup (bpf_skb_ct_lookup)
 *     found, mark set:  skb->mark = ct->mark (the class travels with the
 *                       flow, in both directions).
 *     found, mark 0:    an entry someone else created (the stack's own
 *                       conntrack, another program): classify it now and
 *                       write ct->mark on the looked-up nf_conn.
 *     not found:        bpf_skb_ct_alloc, set the class in the new entry's
 *                       mark (nf_conn___init), bpf_ct_set_timeout,
 *                       bpf_ct_insert_entry, then read the mark back from the
 *                       inserted entry.
 *   Every packet is let through (TC_ACT_OK): this program only classifies.
 *   Non-IP frames and IP traffic other than TCP/UDP pass unmarked.
 *
 * Conntrack facts this relies on (kernel-facts.md section 1.12): `mark` is
 * the one nf_conn field a program may write (v6.1+, 1/2/4-byte stores that
 * start at it), on allocated and on looked-up entries alike; a write to a
 * looked-up entry is visible to everyone at once (it is the table's entry).
 *
 * Build:  clang -target bpf -O2 -g -I bpf/include -c tc_ct_mark.bpf.c
 */
#include <ctsim/ctsim.h>

/* kfuncs require a GPL-compatible license */
CTSIM_LICENSE("GPL");

#define MARK_WEB  0x10
#define MARK_DNS  0x20
#define MARK_SSH  0x30
#define MARK_BULK 0x40

/* ------------------------------------------------------------------------ */
/* Configuration (.rodata; set before load)                                 */
/* ------------------------------------------------------------------------ */

/* Timeouts given to the entries this program creates (milliseconds). */
const volatile __u32 tcp_timeout_ms = 300000;
const volatile __u32 udp_timeout_ms = 60000;

/* ------------------------------------------------------------------------ */
/* Statistics (.bss), read by tests through BTF                             */
/* ------------------------------------------------------------------------ */

__u64 packets;		/* every invocation */
__u64 unmarked;		/* not IP, not TCP/UDP, or malformed: left alone */
__u64 created;		/* entries this program inserted with a mark */
__u64 found;		/* packets whose entry already had a mark */
__u64 classified;	/* found entries without a mark that got one */
__u64 lookup_errors;	/* lookups failing with something other than -ENOENT */
__u64 alloc_errors;	/* bpf_skb_ct_alloc returned NULL */
__u64 insert_errors;	/* bpf_ct_insert_entry returned NULL */
__u64 class_packets[4];	/* packets per class: web, dns, ssh, bulk */

int   last_error;	/* last negative kfunc result, -ENOENT misses included */
__u32 last_mark;	/* the skb->mark of the last marked packet */

/* ------------------------------------------------------------------------ */
/* Classification                                                           */
/* ------------------------------------------------------------------------ */

static __always_inline __u32 port_class(__u16 port)
{
	switch (port) {
	case 80:
	case 443:
	case 8080:
		return MARK_WEB;
	case 53:
		return MARK_DNS;
	case 22:
		return MARK_SSH;
	default:
		return 0;
	}
}

/* The class of a flow from one of its packets' ports (host order). */
static __always_inline __u32 classify(__u16 sport, __u16 dport)
{
	__u32 mark = port_class(dport);

	if (!mark)
		mark = port_class(sport);
	return mark ? mark : MARK_BULK;
}

/* skb->mark and the per-class counter. */
static __always_inline int mark_packet(struct __sk_buff *skb, __u32 mark)
{
	__u32 slot = (mark >> 4) - 1;	/* 0x10..0x40 -> 0..3 */

	skb->mark = mark;
	last_mark = mark;
	if (slot < 4)
		ctsim_inc(class_packets[slot]);
	return TC_ACT_OK;
}

/* ------------------------------------------------------------------------ */
/* The program                                                              */
/* ------------------------------------------------------------------------ */

SEC("tc")
int tc_ct_mark(struct __sk_buff *skb)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	struct bpf_sock_tuple tuple = {};
	struct nf_conn___init *nct;
	struct nf_conn *ct;
	__u32 tuple_sz, timeout_ms, mark;
	__be16 h_proto, sport, dport;
	__u8 l4proto;
	void *nh, *l4;

	ctsim_inc(packets);

	/* ---- L2 ---- */
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		goto unmarked;
	h_proto = eth->h_proto;
	nh = eth + 1;
	if (h_proto == bpf_htons(ETH_P_8021Q) || h_proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = nh;

		if ((void *)(vh + 1) > data_end)
			goto unmarked;
		h_proto = vh->h_vlan_encapsulated_proto;
		nh = vh + 1;
	}

	/* ---- L3 ---- */
	if (h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = nh;

		if ((void *)(iph + 1) > data_end || iph->version != 4 || iph->ihl < 5)
			goto unmarked;
		if (iph->frag_off & bpf_htons(IP_OFFSET))
			goto unmarked;	/* a later fragment has no ports */
		l4proto = iph->protocol;
		l4 = (void *)iph + iph->ihl * 4;
		tuple.ipv4.saddr = iph->saddr;
		tuple.ipv4.daddr = iph->daddr;
		tuple_sz = sizeof(tuple.ipv4);
	} else if (h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = nh;

		if ((void *)(ip6h + 1) > data_end || ip6h->version != 6)
			goto unmarked;
		l4proto = ip6h->nexthdr;	/* extension headers: not walked */
		l4 = ip6h + 1;
		__builtin_memcpy(tuple.ipv6.saddr, &ip6h->saddr, sizeof(tuple.ipv6.saddr));
		__builtin_memcpy(tuple.ipv6.daddr, &ip6h->daddr, sizeof(tuple.ipv6.daddr));
		tuple_sz = sizeof(tuple.ipv6);
	} else {
		goto unmarked;
	}

	/* ---- L4: the ports (TCP and UDP both start with them) ---- */
	if (l4proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end)
			goto unmarked;
		sport = th->source;
		dport = th->dest;
		timeout_ms = tcp_timeout_ms;
	} else if (l4proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end)
			goto unmarked;
		sport = uh->source;
		dport = uh->dest;
		timeout_ms = udp_timeout_ms;
	} else {
		goto unmarked;
	}
	if (tuple_sz == sizeof(tuple.ipv4)) {
		tuple.ipv4.sport = sport;
		tuple.ipv4.dport = dport;
	} else {
		tuple.ipv6.sport = sport;
		tuple.ipv6.dport = dport;
	}

	struct bpf_ct_opts opts = {
		.netns_id = BPF_F_CURRENT_NETNS,
		.l4proto  = l4proto,
	};

	/* ---- a known flow: its mark, or a class for it ---- */
	ct = bpf_skb_ct_lookup(skb, &tuple, tuple_sz, &opts, sizeof(opts));
	if (ct) {
		mark = ct->mark;
		if (mark) {
			ctsim_inc(found);
		} else {
			/* The stack's (or another program's) entry: label it.
			 * In the reply direction the ports are swapped, which
			 * classify() does not mind. */
			mark = classify(bpf_ntohs(sport), bpf_ntohs(dport));
			ct->mark = mark;
			ctsim_inc(classified);
		}
		bpf_ct_release(ct);
		return mark_packet(skb, mark);
	}
	if (opts.error != -ENOENT) {
		last_error = opts.error;
		ctsim_inc(lookup_errors);
		goto unmarked;
	}
	last_error = opts.error;

	/* ---- a new flow: an entry carrying the class from the start ---- */
	opts.error = 0;
	nct = bpf_skb_ct_alloc(skb, &tuple, tuple_sz, &opts, sizeof(opts));
	if (!nct) {
		last_error = opts.error;
		ctsim_inc(alloc_errors);
		goto unmarked;
	}
	nct->ct.mark = classify(bpf_ntohs(sport), bpf_ntohs(dport));
	bpf_ct_set_timeout(nct, timeout_ms);
	ct = bpf_ct_insert_entry(nct);	/* consumes nct in every case */
	if (!ct) {
		ctsim_inc(insert_errors);
		goto unmarked;
	}
	mark = ct->mark;	/* read back from the table's entry */
	bpf_ct_release(ct);
	ctsim_inc(created);
	return mark_packet(skb, mark);

unmarked:
	ctsim_inc(unmarked);
	return TC_ACT_OK;
}
