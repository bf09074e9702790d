// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdp_ct_firewall.bpf.c - a small stateful XDP firewall on top of the
 * kernel's connection tracking table, using the nf_conntrack kfuncs.
 *
 * Policy ("default deny, inside may open connections"):
 *
 *   1. Non-IP frames (ARP, LLDP, ...) are passed untouched.
 *   2. IPv4/IPv6 packets that are neither TCP nor UDP (ICMP, ICMPv6, IPv6
 *      packets with extension headers, ...) are passed untouched: the
 *      conntrack kfuncs only handle TCP and UDP.
 *   3. Truncated/malformed headers are dropped; so are non-first IPv4
 *      fragments (they carry no ports, so they cannot be matched).
 *   4. TCP/UDP: the 5-tuple is looked up with bpf_xdp_ct_lookup().
 *        - found (either direction): pass.  For a reply-direction hit the
 *          entry gets IPS_SEEN_REPLY (optional, see mark_seen_reply).
 *        - not found (-ENOENT): if the packet comes from the inside network
 *          AND is a TCP SYN (SYN without ACK) or a UDP datagram, a new
 *          entry is created (alloc, set_timeout, set_status, mark,
 *          insert) and the packet passes; anything else is dropped.
 *        - any other lookup error: drop.
 *
 * "Inside" is decided by source address prefix (default 198.51.100.0/24 and
 * 2001:db8::/64, the client side of the captures in Pcaps/), configurable through the const volatile globals below (they
 * live in .rodata and can be changed by the loader before load).
 *
 * Observability: all counters are plain globals in .bss, readable by BTF
 * name (map "<obj>.bss").  Invariant: packets == passed + dropped.
 *
 * Build:  clang -target bpf -O2 -g -I bpf/include -c xdp_ct_firewall.bpf.c
 */
#include <ctsim/ctsim.h>

/* kfuncs require a GPL-compatible license */
CTSIM_LICENSE("GPL");

/* ------------------------------------------------------------------------ */
/* Configuration (.rodata; set before load, constant for the verifier)      */
/* ------------------------------------------------------------------------ */

/* Inside IPv4 network, HOST byte order, and its prefix length (0 = all). */
const volatile __u32 inside_v4_net = 0xc6336400;	/* 198.51.100.0 */
const volatile __u32 inside_v4_prefix_len = 24;
/* Inside IPv6 network as four HOST-order 32-bit words, and prefix length. */
const volatile __u32 inside_v6_net[4] = { 0x20010db8, 0, 0, 0 };	/* 2001:db8:: */
const volatile __u32 inside_v6_prefix_len = 64;

/* Timeouts given to new entries (milliseconds, bpf_ct_set_timeout). */
const volatile __u32 tcp_new_timeout_ms = 120000;
const volatile __u32 udp_new_timeout_ms = 30000;
/* Status bits requested for new entries (bpf_ct_set_status).  Only
 * IPS_SEEN_REPLY, IPS_ASSURED, IPS_FIXED_TIMEOUT and IPS_HELPER can be set;
 * anything touching EXPECTED/CONFIRMED/DYING gives -EBUSY. */
const volatile __u32 new_ct_status = 0;
/* ct->mark written into new entries (0 = leave the mark alone). */
const volatile __u32 new_ct_mark = 1;
/* On a reply-direction hit, add IPS_SEEN_REPLY (bpf_ct_change_status). */
const volatile __u32 mark_seen_reply = 1;
/* On every hit, refresh the timeout to this many ms (0 = don't touch;
 * bpf_ct_change_timeout).  Off by default so that the stack's own conntrack
 * timeouts (TCP state machine) stay in charge. */
const volatile __u32 refresh_timeout_ms = 0;

/* ------------------------------------------------------------------------ */
/* Statistics (.bss), read by tests through BTF                             */
/* ------------------------------------------------------------------------ */

__u64 packets;		/* every invocation */
__u64 passed;		/* XDP_PASS verdicts */
__u64 dropped;		/* XDP_DROP verdicts */
__u64 non_ip;		/* passed: not IPv4/IPv6 */
__u64 untracked;	/* passed: IP but not TCP/UDP */
__u64 malformed;	/* dropped: truncated or invalid headers */
__u64 fragments;	/* dropped: non-first IPv4 fragments */
__u64 found;		/* lookup hit, original direction */
__u64 found_reply;	/* lookup hit, reply direction */
__u64 denied;		/* dropped: no entry and not allowed to create one */
__u64 created;		/* new entries inserted */
__u64 lookup_errors;	/* dropped: lookup failed with something other than -ENOENT */
__u64 alloc_errors;	/* dropped: bpf_xdp_ct_alloc returned NULL */
__u64 insert_errors;	/* passed: bpf_ct_insert_entry returned NULL (e.g. lost a race) */
__u64 kfunc_errors;	/* non-zero returns of set_status/change_status/change_timeout */

int   last_error;	/* last negative result seen from any kfunc, incl. -ENOENT misses */
__u32 last_status;	/* ct->status of the last entry found or created */
__u32 last_mark;	/* ct->mark   of the last entry found or created */
__u32 last_dir;		/* opts.dir of the last hit (0 for created entries) */

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static __always_inline int pass(void)
{
	ctsim_inc(passed);
	return XDP_PASS;
}

static __always_inline int drop(void)
{
	ctsim_inc(dropped);
	return XDP_DROP;
}

static __always_inline void note_error(int err)
{
	if (err)
		last_error = err;
}

/* Is the IPv4 source address (network order) inside inside_v4_net/len? */
static __always_inline bool v4_is_inside(__be32 saddr)
{
	__u32 plen = inside_v4_prefix_len;
	__u32 mask;

	if (plen == 0)
		return true;
	if (plen > 32)
		plen = 32;
	mask = 0xffffffffU << (32 - plen);
	return (bpf_ntohl(saddr) & mask) == (inside_v4_net & mask);
}

/* Is the IPv6 source address (4 network-order words) inside the prefix? */
static __always_inline bool v6_is_inside(const __be32 *saddr)
{
	__u32 plen = inside_v6_prefix_len;
	int i;

	if (plen > 128)
		plen = 128;
#pragma clang loop unroll(full)
	for (i = 0; i < 4; i++) {
		__u32 bits = plen >= 32 ? 32 : plen;
		__u32 mask;

		plen -= bits;
		if (bits == 0)
			break;
		mask = bits == 32 ? 0xffffffffU : ~(0xffffffffU >> bits);
		if ((bpf_ntohl(saddr[i]) & mask) != (inside_v6_net[i] & mask))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------------ */
/* The program                                                              */
/* ------------------------------------------------------------------------ */

SEC("xdp")
int xdp_ct_firewall(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct bpf_sock_tuple tuple = {};
	struct nf_conn___init *nct;
	struct nf_conn *ct;
	__u32 tuple_sz, timeout_ms;
	bool is_v4, from_inside, may_create;
	__be16 h_proto, sport, dport;
	__u8 l4proto;
	void *nh, *l4;
	int err;

	ctsim_inc(packets);

	/* ---- L2: Ethernet, optionally one 802.1Q / 802.1ad tag ---- */
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

	/* ---- L3: fill the address part of the tuple ---- */
	if (h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = nh;
		__u32 ihl_bytes;

		if ((void *)(iph + 1) > data_end) {
			ctsim_inc(malformed);
			return drop();
		}
		if (iph->version != 4 || iph->ihl < 5) {
			ctsim_inc(malformed);
			return drop();
		}
		l4proto = iph->protocol;
		if (l4proto != IPPROTO_TCP && l4proto != IPPROTO_UDP) {
			ctsim_inc(untracked);
			return pass();
		}
		/* Later fragments have no L4 header: nothing to match on. */
		if (iph->frag_off & bpf_htons(IP_OFFSET)) {
			ctsim_inc(fragments);
			return drop();
		}
		ihl_bytes = iph->ihl * 4;	/* 20 ... 60, checked above */
		l4 = (void *)iph + ihl_bytes;

		tuple.ipv4.saddr = iph->saddr;
		tuple.ipv4.daddr = iph->daddr;
		tuple_sz = sizeof(tuple.ipv4);	/* 12 */
		is_v4 = true;
	} else if (h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = nh;

		if ((void *)(ip6h + 1) > data_end) {
			ctsim_inc(malformed);
			return drop();
		}
		if (ip6h->version != 6) {
			ctsim_inc(malformed);
			return drop();
		}
		/* Extension headers are not walked: they count as "other". */
		l4proto = ip6h->nexthdr;
		if (l4proto != IPPROTO_TCP && l4proto != IPPROTO_UDP) {
			ctsim_inc(untracked);
			return pass();
		}
		l4 = ip6h + 1;

		__builtin_memcpy(tuple.ipv6.saddr, &ip6h->saddr, sizeof(tuple.ipv6.saddr));
		__builtin_memcpy(tuple.ipv6.daddr, &ip6h->daddr, sizeof(tuple.ipv6.daddr));
		tuple_sz = sizeof(tuple.ipv6);	/* 36 */
		is_v4 = false;
	} else {
		ctsim_inc(non_ip);
		return pass();
	}

	/* ---- L4: ports, and whether this may open a new connection ---- */
	if (l4proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end) {
			ctsim_inc(malformed);
			return drop();
		}
		if (th->doff < 5) {
			ctsim_inc(malformed);
			return drop();
		}
		sport = th->source;
		dport = th->dest;
		/* Only a bare SYN (no ACK, no RST) may open a TCP connection. */
		may_create = th->syn && !th->ack && !th->rst;
		timeout_ms = tcp_new_timeout_ms;
	} else {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end) {
			ctsim_inc(malformed);
			return drop();
		}
		sport = uh->source;
		dport = uh->dest;
		may_create = true;
		timeout_ms = udp_new_timeout_ms;
	}

	if (is_v4) {
		tuple.ipv4.sport = sport;
		tuple.ipv4.dport = dport;
		from_inside = v4_is_inside(tuple.ipv4.saddr);
	} else {
		tuple.ipv6.sport = sport;
		tuple.ipv6.dport = dport;
		from_inside = v6_is_inside(tuple.ipv6.saddr);
	}

	/* ---- conntrack lookup ----
	 * 16-byte opts (6.11+ layout), netns of the packet's device, default
	 * zone (ct_zone_id 0; ct_zone_dir 0 is rewritten to 3 by the kernel),
	 * reserved bytes zero (the initializer zero-fills everything else). */
	struct bpf_ct_opts opts = {
		.netns_id = BPF_F_CURRENT_NETNS,
		.l4proto  = l4proto,
	};

	ct = bpf_xdp_ct_lookup(ctx, &tuple, tuple_sz, &opts, sizeof(opts));
	if (ct) {
		/* CO-RE reads: offsets relocated against the running kernel. */
		__u32 status = (__u32)ct->status;

		last_status = status;
		last_mark = ct->mark;
		last_dir = opts.dir;

		if (opts.dir == IP_CT_DIR_REPLY) {
			ctsim_inc(found_reply);
			if (mark_seen_reply && !(status & IPS_SEEN_REPLY)) {
				/* change_status only ORs bits in, but the request
				 * must contain the current unchangeable bits
				 * (CONFIRMED, ...) or it fails with -EBUSY. */
				err = bpf_ct_change_status(ct, status | IPS_SEEN_REPLY);
				if (err) {
					ctsim_inc(kfunc_errors);
					note_error(err);
				}
			}
		} else {
			ctsim_inc(found);
		}

		if (refresh_timeout_ms) {
			err = bpf_ct_change_timeout(ct, refresh_timeout_ms);
			if (err) {	/* -EPERM (fixed timeout) or -ETIME (dying) */
				ctsim_inc(kfunc_errors);
				note_error(err);
			}
		}

		bpf_ct_release(ct);	/* every acquired reference must go back */
		return pass();
	}

	/* Not found: opts.error says why. */
	err = opts.error;
	note_error(err);
	if (err != -ENOENT) {
		/* -EINVAL, -EPROTO, -EAFNOSUPPORT, -ENONET: a bug or bad config. */
		ctsim_inc(lookup_errors);
		return drop();
	}

	if (!from_inside || !may_create) {
		ctsim_inc(denied);
		return drop();
	}

	/* ---- create a new entry: alloc -> set_* -> insert ---- */
	opts.error = 0;
	nct = bpf_xdp_ct_alloc(ctx, &tuple, tuple_sz, &opts, sizeof(opts));
	if (!nct) {
		/* -ENOMEM (table full) or an argument error. */
		ctsim_inc(alloc_errors);
		note_error(opts.error);
		return drop();
	}

	/* The entry is unconfirmed: the timeout is stored relative and turned
	 * into an absolute jiffies stamp by bpf_ct_insert_entry(). */
	bpf_ct_set_timeout(nct, timeout_ms);

	err = bpf_ct_set_status(nct, new_ct_status);
	if (err) {	/* -EBUSY for unchangeable bits; the entry is still usable */
		ctsim_inc(kfunc_errors);
		note_error(err);
	}

	/* ct->mark is the one nf_conn field BPF may write (v6.1+). */
	if (new_ct_mark)
		nct->ct.mark = new_ct_mark;

	/* Insert consumes nct whatever happens (it frees it on failure). */
	ct = bpf_ct_insert_entry(nct);
	if (!ct) {
		/* Most likely another CPU inserted the same tuple first
		 * (-EEXIST inside the kernel, not reported).  Policy allowed
		 * the packet anyway, so let it through. */
		ctsim_inc(insert_errors);
		return pass();
	}

	ctsim_inc(created);
	last_status = (__u32)ct->status;	/* IPS_CONFIRMED | requested bits */
	last_mark = ct->mark;
	last_dir = IP_CT_DIR_ORIGINAL;
	bpf_ct_release(ct);
	return pass();
}
