// SPDX-License-Identifier: GPL-2.0-only
/*
 * tc_ct_nat.bpf.c - a TC program that sets up NAT bindings in conntrack
 * entries it creates, with bpf_ct_set_nat_info (v6.1+):
 *
 *   SNAT  connections from the inside network (198.51.100.0/24,
 *         2001:db8::/64) leave as the public address (192.0.2.1,
 *         2001:db8:1::1), keeping the client's source port;
 *   DNAT  connections to the virtual service 192.0.2.100:80
 *         ([2001:db8:1::100]:80) go to the backend 192.0.2.10:8080
 *         ([2001:db8:1::10]:8080).
 *
 * A connection from the inside to the virtual service gets both.  The
 * program does not rewrite packets itself: it installs the binding in the
 * entry, whose REPLY tuple now says what the answers look like after
 * translation, e.g. for 198.51.100.1:40000 -> 192.0.2.100:80
 *
 *     original  198.51.100.1:40000 -> 192.0.2.100:80
 *     reply     192.0.2.10:8080    -> 192.0.2.1:40000
 *
 * and the netfilter NAT hooks translate the packets that go on through the
 * stack.  Answers arrive addressed to the public address, and the lookup of
 * their tuple finds the entry in the reply direction (opts.dir = 1).
 *
 * Per TCP/UDP packet (IPv4 or IPv6, one optional VLAN tag):
 *
 *   lookup (bpf_skb_ct_lookup)
 *     found:      pass (counted per direction); the first answer marks the
 *                 entry IPS_SEEN_REPLY (bpf_ct_change_status).
 *     not found:  from the inside and a TCP SYN or a UDP datagram:
 *                   bpf_skb_ct_alloc, bpf_ct_set_nat_info(SRC) (and DST for
 *                   the virtual service), bpf_ct_set_timeout,
 *                   bpf_ct_insert_entry; the new reply tuple and status go
 *                   into globals; pass.
 *                 anything else: drop (TC_ACT_SHOT): nothing maps to it.
 *   Non-IP frames and IP traffic other than TCP/UDP pass untouched.
 *
 * Why the SNAT port is given explicitly (the client's own port) rather than
 * 0: with port <= 0 the kernel keeps the port unless the translated tuple is
 * taken, and then picks a RANDOM free one.  With a single port given, the
 * mapping is fixed: a clash shows as a failed insert (-EEXIST inside the
 * kernel, NULL here), which is counted.
 *
 * Conntrack facts this relies on (kernel-facts.md section 1.10): NAT info
 * goes on an allocated, not yet inserted entry; SNAT rewrites the reply
 * tuple's destination, DNAT its source; the entry gets IPS_SRC_NAT /
 * IPS_DST_NAT when its reply tuple changed, and IPS_SRC_NAT_DONE /
 * IPS_DST_NAT_DONE always; the port is in HOST byte order; setting the same
 * manip twice is an error (-ENOMEM).
 *
 * Build:  clang -target bpf -O2 -g -I bpf/include -c tc_ct_nat.bpf.c
 */
#include <ctsim/ctsim.h>

/* kfuncs require a GPL-compatible license */
CTSIM_LICENSE("GPL");

/* ------------------------------------------------------------------------ */
/* Configuration (.rodata; set before load). Addresses in HOST order words. */
/* ------------------------------------------------------------------------ */

const volatile __u32 inside_v4_net = 0xc6336400;		/* 198.51.100.0/24 */
const volatile __u32 inside_v4_prefix_len = 24;
const volatile __u32 inside_v6_prefix[2] = { 0x20010db8, 0 };	/* 2001:db8::/64 */

const volatile __u32 public_v4 = 0xc0000201;			/* 192.0.2.1 */
const volatile __u32 public_v6[4] = { 0x20010db8, 0x10000, 0, 1 };	/* 2001:db8:1::1 */

const volatile __u32 service_v4 = 0xc0000264;			/* 192.0.2.100 */
const volatile __u32 service_v6[4] = { 0x20010db8, 0x10000, 0, 0x100 };	/* 2001:db8:1::100 */
const volatile __u16 service_port = 80;
const volatile __u32 backend_v4 = 0xc000020a;			/* 192.0.2.10 */
const volatile __u32 backend_v6[4] = { 0x20010db8, 0x10000, 0, 0x10 };	/* 2001:db8:1::10 */
const volatile __u16 backend_port = 8080;

const volatile __u32 tcp_timeout_ms = 300000;
const volatile __u32 udp_timeout_ms = 60000;

/* ------------------------------------------------------------------------ */
/* Statistics (.bss), read by tests through BTF                             */
/* ------------------------------------------------------------------------ */

__u64 packets;		/* every invocation */
__u64 passed;		/* TC_ACT_OK verdicts */
__u64 dropped;		/* TC_ACT_SHOT verdicts */
__u64 untracked;	/* passed: not IP, not TCP/UDP */
__u64 malformed;	/* dropped: truncated headers, later fragments */
__u64 found;		/* lookup hit, original direction */
__u64 found_reply;	/* lookup hit, reply direction (translated answers) */
__u64 denied;		/* dropped: no entry and may not create one */
__u64 snat;		/* SNAT bindings set up */
__u64 dnat;		/* DNAT bindings set up */
__u64 lookup_errors;	/* dropped: lookup failed with something other than -ENOENT */
__u64 alloc_errors;	/* dropped: bpf_skb_ct_alloc returned NULL */
__u64 nat_errors;	/* bpf_ct_set_nat_info failed */
__u64 insert_errors;	/* passed: bpf_ct_insert_entry returned NULL (NAT clash) */
__u64 kfunc_errors;	/* bpf_ct_change_status failed */

int   last_error;	/* last negative kfunc result, -ENOENT misses included */
__u32 last_status;	/* ct->status of the last entry created */
/* The reply tuple of the last entry created, as the kernel stores it
 * (IPv4 addresses and ports in network order; IPv6: the last word). */
__u32 last_reply_saddr;
__u32 last_reply_daddr;
__u16 last_reply_sport;
__u16 last_reply_dport;

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static __always_inline int pass(void)
{
	ctsim_inc(passed);
	return TC_ACT_OK;
}

static __always_inline int drop(void)
{
	ctsim_inc(dropped);
	return TC_ACT_SHOT;
}

static __always_inline bool v4_inside(__be32 addr)
{
	__u32 plen = inside_v4_prefix_len;
	__u32 mask;

	if (plen == 0)
		return true;
	if (plen > 32)
		plen = 32;
	mask = 0xffffffffU << (32 - plen);
	return (bpf_ntohl(addr) & mask) == (inside_v4_net & mask);
}

/* Is the IPv6 address (4 network-order words) inside the /64? */
static __always_inline bool v6_inside(const __be32 *addr)
{
	return bpf_ntohl(addr[0]) == inside_v6_prefix[0] && bpf_ntohl(addr[1]) == inside_v6_prefix[1];
}

static __always_inline bool v6_equal(const __be32 *addr, const volatile __u32 *host)
{
	return bpf_ntohl(addr[0]) == host[0] && bpf_ntohl(addr[1]) == host[1] &&
	       bpf_ntohl(addr[2]) == host[2] && bpf_ntohl(addr[3]) == host[3];
}

/* union nf_inet_addr from host-order words (IPv4: .ip only). */
static __always_inline void v6_addr(union nf_inet_addr *out, const volatile __u32 *host)
{
	out->ip6[0] = bpf_htonl(host[0]);
	out->ip6[1] = bpf_htonl(host[1]);
	out->ip6[2] = bpf_htonl(host[2]);
	out->ip6[3] = bpf_htonl(host[3]);
}

/* ------------------------------------------------------------------------ */
/* The program                                                              */
/* ------------------------------------------------------------------------ */

SEC("tc")
int tc_ct_nat(struct __sk_buff *skb)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	struct bpf_sock_tuple tuple = {};
	union nf_inet_addr snat_addr = {}, dnat_addr = {};
	struct nf_conn___init *nct;
	struct nf_conn *ct;
	__u32 tuple_sz, timeout_ms;
	__be16 h_proto, sport, dport;
	bool is_v4, inside, to_service, may_create;
	__u8 l4proto;
	void *nh, *l4;
	int err;

	ctsim_inc(packets);

	/* ---- L2 ---- */
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end) {
		ctsim_inc(malformed);
		return drop();
	}
	h_proto = eth->h_proto;
	nh = eth + 1;
	if (h_proto == bpf_htons(ETH_P_8021Q) || h_proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = nh;

		if ((void *)(vh + 1) > data_end) {
			ctsim_inc(malformed);
			return drop();
		}
		h_proto = vh->h_vlan_encapsulated_proto;
		nh = vh + 1;
	}

	/* ---- L3 ---- */
	if (h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = nh;

		if ((void *)(iph + 1) > data_end || iph->version != 4 || iph->ihl < 5) {
			ctsim_inc(malformed);
			return drop();
		}
		l4proto = iph->protocol;
		if (l4proto != IPPROTO_TCP && l4proto != IPPROTO_UDP) {
			ctsim_inc(untracked);
			return pass();
		}
		if (iph->frag_off & bpf_htons(IP_OFFSET)) {
			ctsim_inc(malformed);
			return drop();
		}
		l4 = (void *)iph + iph->ihl * 4;
		tuple.ipv4.saddr = iph->saddr;
		tuple.ipv4.daddr = iph->daddr;
		tuple_sz = sizeof(tuple.ipv4);
		is_v4 = true;
		inside = v4_inside(iph->saddr);
		to_service = bpf_ntohl(iph->daddr) == service_v4;
		snat_addr.ip = bpf_htonl(public_v4);
		dnat_addr.ip = bpf_htonl(backend_v4);
	} else if (h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = nh;

		if ((void *)(ip6h + 1) > data_end || ip6h->version != 6) {
			ctsim_inc(malformed);
			return drop();
		}
		l4proto = ip6h->nexthdr;	/* extension headers: not walked */
		if (l4proto != IPPROTO_TCP && l4proto != IPPROTO_UDP) {
			ctsim_inc(untracked);
			return pass();
		}
		l4 = ip6h + 1;
		__builtin_memcpy(tuple.ipv6.saddr, &ip6h->saddr, sizeof(tuple.ipv6.saddr));
		__builtin_memcpy(tuple.ipv6.daddr, &ip6h->daddr, sizeof(tuple.ipv6.daddr));
		tuple_sz = sizeof(tuple.ipv6);
		is_v4 = false;
		inside = v6_inside(tuple.ipv6.saddr);
		to_service = v6_equal(tuple.ipv6.daddr, service_v6);
		v6_addr(&snat_addr, public_v6);
		v6_addr(&dnat_addr, backend_v6);
	} else {
		ctsim_inc(untracked);
		return pass();
	}

	/* ---- L4 ---- */
	if (l4proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end) {
			ctsim_inc(malformed);
			return drop();
		}
		sport = th->source;
		dport = th->dest;
		may_create = th->syn && !th->ack && !th->rst;
		timeout_ms = tcp_timeout_ms;
	} else {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end) {
			ctsim_inc(malformed);
			return drop();
		}
		sport = uh->source;
		dport = uh->dest;
		may_create = true;
		timeout_ms = udp_timeout_ms;
	}
	if (is_v4) {
		tuple.ipv4.sport = sport;
		tuple.ipv4.dport = dport;
	} else {
		tuple.ipv6.sport = sport;
		tuple.ipv6.dport = dport;
	}
	to_service = to_service && bpf_ntohs(dport) == service_port;

	struct bpf_ct_opts opts = {
		.netns_id = BPF_F_CURRENT_NETNS,
		.l4proto  = l4proto,
	};

	/* ---- known connections (either direction) pass ---- */
	ct = bpf_skb_ct_lookup(skb, &tuple, tuple_sz, &opts, sizeof(opts));
	if (ct) {
		if (opts.dir == IP_CT_DIR_REPLY) {
			__u32 status = (__u32)ct->status;

			ctsim_inc(found_reply);
			/* The first translated answer: IPS_SEEN_REPLY.  The
			 * request repeats the entry's bits, NAT bits included
			 * (SRC_NAT, DST_NAT, *_NAT_DONE, CONFIRMED), or the
			 * kernel refuses it with -EBUSY. */
			if (!(status & IPS_SEEN_REPLY)) {
				err = bpf_ct_change_status(ct, status | IPS_SEEN_REPLY);
				if (err) {
					last_error = err;
					ctsim_inc(kfunc_errors);
				}
			}
		} else {
			ctsim_inc(found);
		}
		bpf_ct_release(ct);
		return pass();
	}
	err = opts.error;
	last_error = err;
	if (err != -ENOENT) {
		ctsim_inc(lookup_errors);
		return drop();
	}
	if (!inside || !may_create) {
		ctsim_inc(denied);
		return drop();
	}

	/* ---- a new connection from the inside: entry + NAT binding ---- */
	opts.error = 0;
	nct = bpf_skb_ct_alloc(skb, &tuple, tuple_sz, &opts, sizeof(opts));
	if (!nct) {
		last_error = opts.error;
		ctsim_inc(alloc_errors);
		return drop();
	}

	/* SNAT: the reply tuple's destination becomes public:client-port. */
	err = bpf_ct_set_nat_info(nct, &snat_addr, bpf_ntohs(sport), NF_NAT_MANIP_SRC);
	if (err) {
		last_error = err;
		ctsim_inc(nat_errors);
	} else {
		ctsim_inc(snat);
	}
	/* DNAT: the reply tuple's source becomes backend:backend_port. */
	if (to_service) {
		err = bpf_ct_set_nat_info(nct, &dnat_addr, backend_port, NF_NAT_MANIP_DST);
		if (err) {
			last_error = err;
			ctsim_inc(nat_errors);
		} else {
			ctsim_inc(dnat);
		}
	}
	bpf_ct_set_timeout(nct, timeout_ms);

	ct = bpf_ct_insert_entry(nct);	/* consumes nct in every case */
	if (!ct) {
		/* Another connection already uses the translated tuple. */
		ctsim_inc(insert_errors);
		return pass();
	}
	last_status = (__u32)ct->status;
	if (is_v4) {
		last_reply_saddr = ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3.ip;
		last_reply_daddr = ct->tuplehash[IP_CT_DIR_REPLY].tuple.dst.u3.ip;
	} else {
		last_reply_saddr = ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3.ip6[3];
		last_reply_daddr = ct->tuplehash[IP_CT_DIR_REPLY].tuple.dst.u3.ip6[3];
	}
	last_reply_sport = ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u.all;
	last_reply_dport = ct->tuplehash[IP_CT_DIR_REPLY].tuple.dst.u.all;
	bpf_ct_release(ct);
	return pass();
}
