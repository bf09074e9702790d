#ifndef CTSIM_CPCAP_SHIM_H
#define CTSIM_CPCAP_SHIM_H
/* libpcap's <pcap/bpf.h> defines `struct bpf_insn` (classic BPF) with other fields than the
 * kernel's eBPF one in <linux/bpf.h>. Both C modules load into any Swift module that sees the two
 * (an `internal import` is still a module dependency), and clang refuses two definitions of one
 * struct. ctsim does not use libpcap's filter machinery, so its struct is renamed here: Swift sees
 * `pcap_bpf_insn`, and the kernel's keeps its own name for libbpf users. */
#include <stdio.h>
#define bpf_insn pcap_bpf_insn
#include <pcap/pcap.h>
#undef bpf_insn
#endif
