/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ctsim/ctsim.h - umbrella header for ctsim BPF programs:
 *
 *     #include <ctsim/ctsim.h>
 *
 * Build with:  clang -target bpf -O2 -g -I bpf/include -c prog.bpf.c
 * No vmlinux.h, libbpf headers or kernel headers are needed.
 */
#ifndef CTSIM_CTSIM_H
#define CTSIM_CTSIM_H

#include "bpf_base.h"     /* types, SEC(), helpers, maps, return codes */
#include "vmlinux_min.h"  /* xdp_md, __sk_buff, packet headers, nf_conn, ... */
#include "conntrack.h"    /* the nf_conntrack kfuncs */

#endif /* CTSIM_CTSIM_H */
