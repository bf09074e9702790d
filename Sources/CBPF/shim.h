#ifndef CTSIM_CBPF_SHIM_H
#define CTSIM_CBPF_SHIM_H
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#endif
