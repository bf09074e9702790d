// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdp_syn_guard.bpf.c - an XDP SYN-flood guard built on the kernel's
 * connection tracking table, using the nf_conntrack kfuncs.
 *
 * Idea: a handshake that has not completed yet ("half-open") costs the
 * table an entry, so the guard gives half-open entries a SHORT timeout and a
 * BUDGET, and promotes an entry to a long timeout only once the client has
 * answered the server's SYN-ACK.  A flood of spoofed SYNs (whose sources never
 * answer) can then only ever hold a bounded number of short-lived entries.
 *
 * Per TCP packet (IPv4 or IPv6, one optional VLAN tag):
 *
 *   lookup (bpf_xdp_ct_lookup)
 *     found, reply direction (server -> client):
 *         the first answer marks the entry IPS_SEEN_REPLY
 *         (bpf_ct_change_status); pass.
 *     found, original direction (client -> server):
 *         an ACK (no SYN, no RST) on an entry that is not yet IPS_ASSURED
 *         completes the handshake: promote it with bpf_ct_change_timeout
 *         (established_timeout_ms) and bpf_ct_change_status
 *         (| IPS_SEEN_REPLY | IPS_ASSURED), and give the budget slot back;
 *         pass.
 *     found, RST in either direction on a half-open entry:
 *         the handshake is over: expire the entry now
 *         (bpf_ct_change_timeout(ct, 0)) and give the slot back; pass.
 *     not found (-ENOENT), bare SYN (SYN without ACK/RST):
 *         admit it if the budgets allow (see below): bpf_xdp_ct_alloc,
 *         bpf_ct_set_timeout(half_open_timeout_ms), bpf_ct_set_status(0),
 *         bpf_ct_insert_entry; pass.  Over budget: drop.
 *     not found, anything else: drop (no state, no entry: an ACK flood or
 *         a stray segment).
 *   Non-IP frames and IP traffic other than TCP pass untouched.
 *
 * Budgets, over a window of half_open_timeout_ms (every half-open entry
 * expires within one window unless it is promoted, so the table never holds
 * more than about twice the global budget of half-open entries):
 *   - globally at most syn_budget admissions, less the handshakes that
 *     completed or were reset in the window;
 *   - per source address at most source_budget half-open entries;
 *   - a source that has completed a handshake before is "trusted": it is
 *     still held to source_budget, but not to the global budget, so real
 *     clients keep connecting while spoofed SYNs fill the global budget.
 * The window state and the per-source state live in maps (they hold clock
 * values); everything the guard decided is counted in .bss globals.
 *
 * Conntrack facts this relies on (kernel-facts.md section 1):
 *   - an allocated entry has status 0 and a 10 s default timeout, kept
 *     relative until bpf_ct_insert_entry adds "now" and sets IPS_CONFIRMED;
 *   - bpf_ct_change_status only ORs bits in, and only SEEN_REPLY, ASSURED,
 *     FIXED_TIMEOUT and HELPER can change; the request must repeat the
 *     entry's unchangeable bits (CONFIRMED, NAT bits...) or it is -EBUSY;
 *   - bpf_ct_change_timeout is -EPERM on IPS_FIXED_TIMEOUT entries, and a
 *     timeout of 0 expires the entry at once (lookups no longer find it).
 *
 * Build:  clang -target bpf -O2 -g -I bpf/include -c xdp_syn_guard.bpf.c
 */
#include <ctsim/ctsim.h>

/* kfuncs require a GPL-compatible license */
CTSIM_LICENSE("GPL");

/* ------------------------------------------------------------------------ */
/* Configuration (.rodata; set before load)                                 */
/* ------------------------------------------------------------------------ */

/* Timeout of a half-open entry, and the budget window (milliseconds). */
const volatile __u32 half_open_timeout_ms = 5000;
/* Timeout of an entry whose handshake completed (milliseconds). */
const volatile __u32 established_timeout_ms = 600000;
/* Half-open admissions per window, all sources together. */
const volatile __u32 syn_budget = 32;
/* Half-open entries one source may hold at a time. */
const volatile __u32 source_budget = 4;

/* ------------------------------------------------------------------------ */
/* Statistics (.bss), read by tests through BTF                             */
/* ------------------------------------------------------------------------ */

__u64 packets;		/* every invocation */
__u64 passed;		/* XDP_PASS verdicts */
__u64 dropped;		/* XDP_DROP verdicts */
__u64 not_tcp;		/* passed: not IP, or IP but not TCP */
__u64 malformed;	/* dropped: truncated or invalid headers, later fragments */
__u64 admitted;		/* SYNs that got a half-open entry */
__u64 over_budget;	/* dropped SYNs: the global budget was used up */
__u64 source_over_budget; /* dropped SYNs: their source's budget was used up */
__u64 trusted_admits;	/* admitted past a full global budget (trusted source) */
__u64 syn_retransmits;	/* SYNs that found their half-open entry */
__u64 replies;		/* packets matching an entry in the reply direction */
__u64 promoted;		/* handshakes completed: entry promoted */
__u64 resets;		/* half-open entries expired by a RST */
__u64 established;	/* other packets of known connections */
__u64 no_entry;		/* dropped: not a SYN and no entry */
__u64 lookup_errors;	/* dropped: lookup failed with something other than -ENOENT */
__u64 alloc_errors;	/* dropped: bpf_xdp_ct_alloc returned NULL */
__u64 insert_errors;	/* dropped: bpf_ct_insert_entry returned NULL */
__u64 kfunc_errors;	/* non-zero returns of set/change_status and change_timeout */

int   last_error;	/* last negative kfunc result, -ENOENT misses included */
__u32 last_status;	/* ct->status of the last entry promoted or admitted */

/* ------------------------------------------------------------------------ */
/* Maps                                                                     */
/* ------------------------------------------------------------------------ */

/* The global budget's window. */
struct window {
	__u64 start_ns;		/* bpf_ktime_get_ns() when the window opened */
	__u32 used;		/* admissions in it, less completions and resets */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct window);
} syn_window SEC(".maps");

/* Per-source state; IPv4 sources use addr[0] only. */
struct source_key {
	__be32 addr[4];
};

struct source_state {
	__u64 start_ns;		/* when this source's window opened */
	__u32 half_open;	/* its half-open entries in the window */
	__u32 completed;	/* handshakes it completed (ever): > 0 = trusted */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct source_key);
	__type(value, struct source_state);
} sources SEC(".maps");

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
	if (err) {
		last_error = err;
		if (err != -ENOENT)
			ctsim_inc(kfunc_errors);
	}
}

static __always_inline __u64 window_ns(void)
{
	return (__u64)half_open_timeout_ms * 1000000ULL;
}

/* The global window, restarted when it has run out. */
static __always_inline struct window *current_window(__u64 now)
{
	__u32 zero = 0;
	struct window *w = bpf_map_lookup_elem(&syn_window, &zero);

	if (w && (w->start_ns == 0 || now - w->start_ns >= window_ns())) {
		w->start_ns = now;
		w->used = 0;
	}
	return w;
}

/* A handshake of `client` completed (completed = true) or was reset: its
 * budget slots come back. */
static __always_inline void give_back(struct source_key *client, bool completed, __u64 now)
{
	struct window *w = current_window(now);
	struct source_state *s = bpf_map_lookup_elem(&sources, client);

	if (w && w->used > 0)
		w->used--;
	if (s) {
		if (s->half_open > 0)
			s->half_open--;
		if (completed)
			s->completed++;
	}
}

/* ------------------------------------------------------------------------ */
/* The program                                                              */
/* ------------------------------------------------------------------------ */

SEC("xdp")
int xdp_syn_guard(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct bpf_sock_tuple tuple = {};
	struct source_key src = {}, dst = {};
	struct nf_conn___init *nct;
	struct nf_conn *ct;
	struct tcphdr *th;
	__u32 tuple_sz;
	__be16 h_proto;
	void *nh;
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

	/* ---- L3: TCP over IPv4 or IPv6 only ---- */
	if (h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = nh;

		if ((void *)(iph + 1) > data_end || iph->version != 4 || iph->ihl < 5) {
			ctsim_inc(malformed);
			return drop();
		}
		if (iph->protocol != IPPROTO_TCP) {
			ctsim_inc(not_tcp);
			return pass();
		}
		if (iph->frag_off & bpf_htons(IP_OFFSET)) {	/* no TCP header here */
			ctsim_inc(malformed);
			return drop();
		}
		th = (void *)iph + iph->ihl * 4;
		tuple.ipv4.saddr = iph->saddr;
		tuple.ipv4.daddr = iph->daddr;
		src.addr[0] = iph->saddr;
		dst.addr[0] = iph->daddr;
		tuple_sz = sizeof(tuple.ipv4);
	} else if (h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = nh;

		if ((void *)(ip6h + 1) > data_end || ip6h->version != 6) {
			ctsim_inc(malformed);
			return drop();
		}
		if (ip6h->nexthdr != IPPROTO_TCP) {	/* extension headers: not walked */
			ctsim_inc(not_tcp);
			return pass();
		}
		th = (void *)(ip6h + 1);
		__builtin_memcpy(tuple.ipv6.saddr, &ip6h->saddr, sizeof(tuple.ipv6.saddr));
		__builtin_memcpy(tuple.ipv6.daddr, &ip6h->daddr, sizeof(tuple.ipv6.daddr));
		__builtin_memcpy(src.addr, &ip6h->saddr, sizeof(src.addr));
		__builtin_memcpy(dst.addr, &ip6h->daddr, sizeof(dst.addr));
		tuple_sz = sizeof(tuple.ipv6);
	} else {
		ctsim_inc(not_tcp);
		return pass();
	}

	/* ---- L4 ---- */
	if ((void *)(th + 1) > data_end || th->doff < 5) {
		ctsim_inc(malformed);
		return drop();
	}
	if (tuple_sz == sizeof(tuple.ipv4)) {
		tuple.ipv4.sport = th->source;
		tuple.ipv4.dport = th->dest;
	} else {
		tuple.ipv6.sport = th->source;
		tuple.ipv6.dport = th->dest;
	}
	bool syn = th->syn, ack = th->ack, rst = th->rst;
	__u64 now = bpf_ktime_get_ns();

	/* ---- conntrack lookup: 16-byte opts, the packet's netns, zone 0 ---- */
	struct bpf_ct_opts opts = {
		.netns_id = BPF_F_CURRENT_NETNS,
		.l4proto  = IPPROTO_TCP,
	};

	ct = bpf_xdp_ct_lookup(ctx, &tuple, tuple_sz, &opts, sizeof(opts));
	if (ct) {
		__u32 status = (__u32)ct->status;
		bool reply = opts.dir == IP_CT_DIR_REPLY;
		bool half_open = !(status & IPS_ASSURED);

		if (half_open && rst) {
			/* The handshake failed: free the entry now rather than
			 * keep it for half_open_timeout_ms.  The client is the
			 * original direction's source. */
			err = bpf_ct_change_timeout(ct, 0);
			note_error(err);
			give_back(reply ? &dst : &src, false, now);
			ctsim_inc(resets);
		} else if (reply) {
			ctsim_inc(replies);
			if (!(status & IPS_SEEN_REPLY)) {
				/* Repeat the current bits (CONFIRMED...): the
				 * kernel refuses a request that would clear
				 * them (-EBUSY). */
				err = bpf_ct_change_status(ct, status | IPS_SEEN_REPLY);
				note_error(err);
			}
		} else if (half_open && ack && !syn) {
			/* The client answered the SYN-ACK: a real peer. */
			err = bpf_ct_change_timeout(ct, established_timeout_ms);
			note_error(err);
			err = bpf_ct_change_status(ct, status | IPS_SEEN_REPLY | IPS_ASSURED);
			note_error(err);
			last_status = (__u32)ct->status;
			give_back(&src, true, now);
			ctsim_inc(promoted);
		} else if (half_open && syn) {
			ctsim_inc(syn_retransmits);
		} else {
			ctsim_inc(established);
		}
		bpf_ct_release(ct);	/* every looked-up reference goes back */
		return pass();
	}

	err = opts.error;
	note_error(err);
	if (err != -ENOENT) {
		ctsim_inc(lookup_errors);
		return drop();
	}
	if (!syn || ack || rst) {
		/* No entry and not a connection attempt. */
		ctsim_inc(no_entry);
		return drop();
	}

	/* ---- a new SYN: check the budgets ---- */
	struct source_state fresh = { .start_ns = now };
	struct source_state *s = bpf_map_lookup_elem(&sources, &src);
	struct window *w = current_window(now);
	bool trusted;

	if (!w)
		return drop();	/* cannot happen: a one-element array */
	if (!s) {
		if (bpf_map_update_elem(&sources, &src, &fresh, BPF_NOEXIST))
			return drop();	/* the source table is full */
		s = bpf_map_lookup_elem(&sources, &src);
		if (!s)
			return drop();
	}
	if (now - s->start_ns >= window_ns()) {
		s->start_ns = now;
		s->half_open = 0;
	}
	if (s->half_open >= source_budget) {
		ctsim_inc(source_over_budget);
		return drop();
	}
	trusted = s->completed > 0;
	if (w->used >= syn_budget) {
		if (!trusted) {
			ctsim_inc(over_budget);
			return drop();
		}
		ctsim_inc(trusted_admits);
	}

	/* ---- admit: a half-open entry with a short timeout ---- */
	opts.error = 0;
	nct = bpf_xdp_ct_alloc(ctx, &tuple, tuple_sz, &opts, sizeof(opts));
	if (!nct) {
		note_error(opts.error);
		ctsim_inc(alloc_errors);
		return drop();
	}
	/* Relative until insert, which adds "now". */
	bpf_ct_set_timeout(nct, half_open_timeout_ms);
	/* Explicitly no ASSURED yet: the kernel may early-drop this entry when
	 * the table is full (an ASSURED one it would keep). */
	err = bpf_ct_set_status(nct, 0);
	note_error(err);

	ct = bpf_ct_insert_entry(nct);	/* consumes nct in every case */
	if (!ct) {
		ctsim_inc(insert_errors);
		return drop();
	}
	last_status = (__u32)ct->status;	/* IPS_CONFIRMED */
	bpf_ct_release(ct);

	w->used++;
	s->half_open++;
	ctsim_inc(admitted);
	return pass();
}
