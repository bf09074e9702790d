/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ctsim/conntrack.h - declarations of the nf_conntrack BPF kfuncs.
 *
 * Prototypes as exposed by the 6.18 kernel's BTF (kernel-facts.md 1.1), flags
 * and rules summarised from kernel-facts.md 1.2-1.12 and section 3.  The
 * kfuncs are callable from BPF_PROG_TYPE_XDP and BPF_PROG_TYPE_SCHED_CLS (tc)
 * programs with a GPL-compatible license.
 *
 * Linkage: all declarations are strong `__ksym` externs.  Every kfunc here
 * exists in every kernel that has struct bpf_ct_opts with a `dir` field
 * (v6.0+), except bpf_ct_set_nat_info (v6.1+).  ctsim targets 6.18, where
 * all eleven exist, so a failed resolution is a real error and should fail
 * the load rather than be silently NULL.  Note that clang only emits an
 * extern (and its BTF) for kfuncs a program actually calls, so an unused
 * declaration below never affects loading.  A program that wants to call
 * bpf_ct_set_nat_info yet still load on 6.0 can define
 * CTSIM_WEAK_NAT_KFUNC before including this header, which makes that one
 * extern __weak, and must then guard the call with
 * `if (bpf_ksym_exists(bpf_ct_set_nat_info))`.
 *
 * Reference rules (enforced by the verifier):
 *   - *_ct_lookup and *_ct_alloc are KF_ACQUIRE | KF_RET_NULL: NULL-check
 *     the result; on NULL, opts->error holds -errno.
 *   - A struct nf_conn * from lookup or insert must be passed to
 *     bpf_ct_release() on every path.
 *   - A struct nf_conn___init * from alloc can only be consumed by
 *     bpf_ct_insert_entry() (which frees it itself on failure); it can NOT
 *     be passed to bpf_ct_release().  insert returns a new, referenced
 *     struct nf_conn * (or NULL, e.g. when the tuple already exists).
 *   - set_* take the ___init type, change_* and release take nf_conn; the
 *     two are never interchangeable (no-cast alias).
 */
#ifndef CTSIM_CONNTRACK_H
#define CTSIM_CONNTRACK_H

#include "bpf_base.h"
#include "vmlinux_min.h"

/* errno values the kfuncs report (negated) in opts->error or return. */
#ifndef EPERM
#define EPERM         1   /* change_timeout on an IPS_FIXED_TIMEOUT entry */
#define ENOENT        2   /* lookup: no such (confirmed, unexpired) entry */
#define ENOMEM        12  /* alloc: table full / no memory; set_nat_info: NF_DROP */
#define EBUSY         16  /* set/change_status touching unchangeable bits */
#define EEXIST        17  /* insert: tuple exists (not visible: insert returns NULL) */
#define EINVAL        22  /* bad opts size/reserved bytes, NULL tuple, netns_id < -1 */
#define ETIME         62  /* change_timeout on an IPS_DYING entry */
#define ENONET        64  /* netns_id >= 0 does not name a peer namespace */
#define EPROTO        71  /* l4proto other than TCP/UDP */
#define EAFNOSUPPORT  97  /* tuple__sz other than 12 or 36 */
#endif

/* NAT manipulation for bpf_ct_set_nat_info(). */
enum nf_nat_manip_type {
	NF_NAT_MANIP_SRC = 0,	/* SNAT: rewrites the reply tuple's destination */
	NF_NAT_MANIP_DST = 1,	/* DNAT: rewrites the reply tuple's source */
};

/* ---- lookup / allocate ---------------------------------------------------
 * tuple__sz: 12 (IPv4) or 36 (IPv6).  opts__sz: NF_BPF_CT_OPTS_SZ (16) on
 * 6.11+, or NF_BPF_CT_OPTS_SZ_V60 (12).  tuple and opts may live on the
 * stack (or, for the tuple, in bounds-checked packet memory).
 */

/* Look up an entry in the netns of the XDP packet.  KF_ACQUIRE | KF_RET_NULL.
 * On success opts->dir = direction of the matched tuple. */
extern struct nf_conn *
bpf_xdp_ct_lookup(struct xdp_md *xdp_ctx, struct bpf_sock_tuple *bpf_tuple,
		  __u32 tuple__sz, struct bpf_ct_opts *opts, __u32 opts__sz) __ksym;

/* Allocate a new (unconfirmed) entry: original tuple = bpf_tuple, reply
 * tuple = its mirror, status 0, default timeout 10 s.  KF_ACQUIRE | KF_RET_NULL. */
extern struct nf_conn___init *
bpf_xdp_ct_alloc(struct xdp_md *xdp_ctx, struct bpf_sock_tuple *bpf_tuple,
		 __u32 tuple__sz, struct bpf_ct_opts *opts, __u32 opts__sz) __ksym;

/* tc (SCHED_CLS) variants: same semantics, skb context. */
extern struct nf_conn *
bpf_skb_ct_lookup(struct __sk_buff *skb_ctx, struct bpf_sock_tuple *bpf_tuple,
		  __u32 tuple__sz, struct bpf_ct_opts *opts, __u32 opts__sz) __ksym;

extern struct nf_conn___init *
bpf_skb_ct_alloc(struct __sk_buff *skb_ctx, struct bpf_sock_tuple *bpf_tuple,
		 __u32 tuple__sz, struct bpf_ct_opts *opts, __u32 opts__sz) __ksym;

/* ---- insert / release ------------------------------------------------- */

/* Confirm and hash-insert an allocated entry.  Consumes nfct_i in all cases
 * (frees it on failure).  KF_ACQUIRE | KF_RET_NULL | KF_RELEASE: returns a
 * new referenced entry, or NULL (duplicate tuple, ...). */
extern struct nf_conn *
bpf_ct_insert_entry(struct nf_conn___init *nfct_i) __ksym;

/* Drop the reference from lookup/insert.  KF_RELEASE. */
extern void bpf_ct_release(struct nf_conn *nfct) __ksym;

/* ---- timeouts (milliseconds) ------------------------------------------ */

/* Unconfirmed entry: set the timeout (relative until insert).  KF_TRUSTED_ARGS. */
extern void bpf_ct_set_timeout(struct nf_conn___init *nfct, __u32 timeout) __ksym;

/* Inserted entry: 0, -EPERM (IPS_FIXED_TIMEOUT, unchanged) or -ETIME (dying,
 * still written).  KF_TRUSTED_ARGS. */
extern int bpf_ct_change_timeout(struct nf_conn *nfct, __u32 timeout) __ksym;

/* ---- status (IPS_* bits; can only add SEEN_REPLY/ASSURED/FIXED_TIMEOUT/HELPER;
 *      -EBUSY if the request would change an unchangeable bit or clear
 *      SEEN_REPLY/ASSURED) ---------------------------------------------- */

extern int bpf_ct_set_status(const struct nf_conn___init *nfct, __u32 status) __ksym;
extern int bpf_ct_change_status(struct nf_conn *nfct, __u32 status) __ksym;

/* ---- NAT (v6.1+) -------------------------------------------------------
 * Set up SNAT/DNAT on an unconfirmed entry.  addr: IPv4 in .ip, IPv6 in
 * .ip6; port in HOST byte order, <= 0 = keep the original port.  Returns 0,
 * -EINVAL (bad l3num) or -ENOMEM (NF_DROP, e.g. same manip twice).
 * KF_TRUSTED_ARGS. */
#ifdef CTSIM_WEAK_NAT_KFUNC
#define __ctsim_nat_ksym __ksym __weak
#else
#define __ctsim_nat_ksym __ksym
#endif
extern int bpf_ct_set_nat_info(struct nf_conn___init *nfct, union nf_inet_addr *addr,
			       int port, enum nf_nat_manip_type manip) __ctsim_nat_ksym;

#endif /* CTSIM_CONNTRACK_H */
