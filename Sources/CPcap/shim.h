#ifndef CTSIM_CPCAP_SHIM_H
#define CTSIM_CPCAP_SHIM_H
/* libpcap's <pcap/bpf.h> defines `struct bpf_insn` (classic BPF) with other fields than the
 * kernel's eBPF one in <linux/bpf.h>. Both C modules load into any Swift module that sees the two
 * (an `internal import` is still a module dependency), and clang refuses two definitions of one
 * struct. Likewise its `struct bpf_program` (a filter) would give libbpf's opaque program handle
 * pcap's fields. ctsim does not use libpcap's filter machinery, so both are renamed here: Swift
 * sees `pcap_bpf_insn` and `pcap_bpf_program`, and the kernel's names stay libbpf's. */
#include <stdio.h>
#define bpf_insn pcap_bpf_insn
#define bpf_program pcap_bpf_program
#include <pcap/pcap.h>
#undef bpf_program
#undef bpf_insn
#endif
