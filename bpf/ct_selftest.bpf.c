// SPDX-License-Identifier: GPL-2.0
/*
 * ctsim's own reproduction of the expectations of the kernel selftest test_bpf_nf.c
 * (kernel-facts.md section 2.2), written afresh: every errno of the lookup validation, then
 * alloc -> set_timeout -> mark -> SNAT/DNAT -> insert -> lookup -> change_timeout ->
 * change_status, and the zone lookups. (A NULL tuple is left out: the 6.18.44 verifier rejects
 * a constant NULL for a trusted pointer argument, `Possibly NULL pointer passed to trusted arg1`.) Fixed tuples (no prandom) so the table is comparable.
 * One XDP and one TC program; the results land in globals.
 */
#include "ctsim/ctsim.h"

extern unsigned long CONFIG_HZ __kconfig;

/* 12-byte opts as the 6.0 ABI declared them (no CO-RE). */
struct opts12 { __s32 netns_id; __s32 error; __u8 l4proto; __u8 dir; __u8 reserved[2]; };

int test_einval_reserved = 0, test_einval_reserved_new = 0, test_einval_netns_id = 0;
int test_einval_len_opts = 0, test_eproto_l4proto = 0, test_enonet_netns_id = 0, test_enoent_lookup = 0;
int test_eafnosupport = 0;
int test_alloc_entry = -22, test_insert_entry = -97, test_succ_lookup = -2, test_snat_addr = -22, test_dnat_addr = -22;
__u32 test_delta_timeout = 0, test_insert_lookup_mark = 0, test_status = 0;
int test_ct_zone_id_alloc_entry = -22, test_ct_zone_id_insert_entry = -97, test_ct_zone_id_succ_lookup = -2;
int test_ct_zone_dir_enoent_lookup = 0, test_ct_zone_id_enoent_lookup = 0;

#define NF_CT_TEST(ctx, lookup_fn, alloc_fn)                                                              \
	do {                                                                                              \
		struct bpf_ct_opts opts = { .netns_id = -1, .l4proto = IPPROTO_TCP };                    \
		struct opts12 o12 = { .netns_id = -1, .l4proto = IPPROTO_TCP };                          \
		struct bpf_sock_tuple bpf_tuple = {};                                                     \
		struct nf_conn *ct;                                                                       \
		o12.reserved[0] = 1;                                                                      \
		ct = lookup_fn(ctx, &bpf_tuple, sizeof(bpf_tuple.ipv4), (void *)&o12, sizeof(o12));        \
		o12.reserved[0] = 0;                                                                      \
		if (ct) bpf_ct_release(ct); else test_einval_reserved = o12.error;                        \
		opts.reserved[0] = 1;                                                                     \
		ct = lookup_fn(ctx, &bpf_tuple, sizeof(bpf_tuple.ipv4), &opts, sizeof(opts));             \
		opts.reserved[0] = 0;                                                                     \
		if (ct) bpf_ct_release(ct); else test_einval_reserved_new = opts.error;                   \
		opts.netns_id = -2;                                                                       \
		ct = lookup_fn(ctx, &bpf_tuple, sizeof(bpf_tuple.ipv4), &opts, sizeof(opts));             \
		opts.netns_id = -1;                                                                       \
		if (ct) bpf_ct_release(ct); else test_einval_netns_id = opts.error;                       \
		ct = lookup_fn(ctx, &bpf_tuple, sizeof(bpf_tuple.ipv4), (void *)&o12, sizeof(o12) - 1);   \
		if (ct) bpf_ct_release(ct); else test_einval_len_opts = o12.error;                        \
		opts.l4proto = IPPROTO_ICMP;                                                              \
		ct = lookup_fn(ctx, &bpf_tuple, sizeof(bpf_tuple.ipv4), &opts, sizeof(opts));             \
		opts.l4proto = IPPROTO_TCP;                                                               \
		if (ct) bpf_ct_release(ct); else test_eproto_l4proto = opts.error;                        \
		opts.netns_id = 0xf00f;                                                                   \
		ct = lookup_fn(ctx, &bpf_tuple, sizeof(bpf_tuple.ipv4), &opts, sizeof(opts));             \
		opts.netns_id = -1;                                                                       \
		if (ct) bpf_ct_release(ct); else test_enonet_netns_id = opts.error;                       \
		ct = lookup_fn(ctx, &bpf_tuple, sizeof(bpf_tuple.ipv4), &opts, sizeof(opts));             \
		if (ct) bpf_ct_release(ct); else test_enoent_lookup = opts.error;                         \
		ct = lookup_fn(ctx, &bpf_tuple, sizeof(bpf_tuple.ipv4) - 1, &opts, sizeof(opts));         \
		if (ct) bpf_ct_release(ct); else test_eafnosupport = opts.error;                          \
                                                                                                          \
		bpf_tuple.ipv4.saddr = bpf_htonl(0x0a000001); bpf_tuple.ipv4.daddr = bpf_htonl(0x0a000002); \
		bpf_tuple.ipv4.sport = bpf_htons(1111); bpf_tuple.ipv4.dport = bpf_htons(2222);           \
		struct nf_conn___init *ct_ins = alloc_fn(ctx, &bpf_tuple, sizeof(bpf_tuple.ipv4), &opts, sizeof(opts)); \
		if (ct_ins) {                                                                             \
			union nf_inet_addr saddr = {}, daddr = {};                                        \
			struct nf_conn *ct_lk;                                                            \
			bpf_ct_set_timeout(ct_ins, 10000);                                                \
			ct_ins->ct.mark = 77;                                                             \
			saddr.ip = bpf_htonl(0xc0a80001);                                                 \
			bpf_ct_set_nat_info(ct_ins, &saddr, 4444, NF_NAT_MANIP_SRC);                      \
			daddr.ip = bpf_htonl(0xc0a80002);                                                 \
			bpf_ct_set_nat_info(ct_ins, &daddr, 5555, NF_NAT_MANIP_DST);                      \
			ct_lk = bpf_ct_insert_entry(ct_ins);                                              \
			if (ct_lk) {                                                                      \
				struct nf_conntrack_tuple *t = &ct_lk->tuplehash[IP_CT_DIR_REPLY].tuple;  \
				if (t->dst.u3.ip == saddr.ip && t->dst.u.all == bpf_htons(4444))          \
					test_snat_addr = 0;                                               \
				if (t->src.u3.ip == daddr.ip && t->src.u.all == bpf_htons(5555))          \
					test_dnat_addr = 0;                                               \
				test_insert_entry = 0;                                                    \
				bpf_ct_release(ct_lk);                                                    \
			}                                                                                 \
			test_alloc_entry = 0;                                                             \
		}                                                                                         \
		ct = lookup_fn(ctx, &bpf_tuple, sizeof(bpf_tuple.ipv4), &opts, sizeof(opts));             \
		if (ct) {                                                                                 \
			test_succ_lookup = 0;                                                             \
			bpf_ct_change_timeout(ct, 10000);                                                 \
			test_delta_timeout = ct->timeout - bpf_jiffies64();                               \
			test_delta_timeout /= CONFIG_HZ;                                                  \
			test_insert_lookup_mark = ct->mark;                                               \
			bpf_ct_change_status(ct, IPS_CONFIRMED | IPS_SEEN_REPLY);                         \
			test_status = ct->status;                                                         \
			bpf_ct_release(ct);                                                               \
		}                                                                                         \
		/* zones: a new tuple in zone 10, original direction only */                              \
		opts.ct_zone_id = 10; opts.ct_zone_dir = 1;                                               \
		bpf_tuple.ipv4.sport = bpf_htons(3333);                                                   \
		ct_ins = alloc_fn(ctx, &bpf_tuple, sizeof(bpf_tuple.ipv4), &opts, sizeof(opts));          \
		if (ct_ins) {                                                                             \
			struct nf_conn *ct_lk;                                                            \
			bpf_ct_set_timeout(ct_ins, 10000);                                                \
			ct_lk = bpf_ct_insert_entry(ct_ins);                                              \
			if (ct_lk) { test_ct_zone_id_insert_entry = 0; bpf_ct_release(ct_lk); }           \
			test_ct_zone_id_alloc_entry = 0;                                                  \
		}                                                                                         \
		ct = lookup_fn(ctx, &bpf_tuple, sizeof(bpf_tuple.ipv4), &opts, sizeof(opts));             \
		if (ct) { test_ct_zone_id_succ_lookup = 0; bpf_ct_release(ct); }                          \
		opts.ct_zone_dir = 2;                                                                     \
		ct = lookup_fn(ctx, &bpf_tuple, sizeof(bpf_tuple.ipv4), &opts, sizeof(opts));             \
		if (ct) bpf_ct_release(ct); else test_ct_zone_dir_enoent_lookup = opts.error;             \
		opts.ct_zone_dir = 1; opts.ct_zone_id = 0;                                                \
		ct = lookup_fn(ctx, &bpf_tuple, sizeof(bpf_tuple.ipv4), &opts, sizeof(opts));             \
		if (ct) bpf_ct_release(ct); else test_ct_zone_id_enoent_lookup = opts.error;              \
	} while (0)

SEC("xdp")
int nf_xdp_ct_test(struct xdp_md *ctx)
{
	NF_CT_TEST(ctx, bpf_xdp_ct_lookup, bpf_xdp_ct_alloc);
	return XDP_PASS;
}

SEC("tc")
int nf_skb_ct_test(struct __sk_buff *ctx)
{
	NF_CT_TEST(ctx, bpf_skb_ct_lookup, bpf_skb_ct_alloc);
	return TC_ACT_OK;
}

CTSIM_LICENSE("GPL");
