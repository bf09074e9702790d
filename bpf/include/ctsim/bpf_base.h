/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ctsim/bpf_base.h - minimal, self-contained base header for BPF programs
 * built by the ctsim project.
 *
 * Written for ctsim from the documented BPF ABI (UAPI constants, helper IDs
 * as listed in `enum bpf_func_id` of the running kernel's BTF, and the ELF
 * section conventions libbpf understands).  It deliberately does NOT include
 * any system header, vmlinux.h or libbpf's bpf_helpers.h, so that
 *
 *     clang -target bpf -O2 -g -I bpf/include -c prog.bpf.c
 *
 * works on a machine without kernel/libbpf development headers (it even
 * builds with -nostdinc).
 *
 * Contents:
 *   - fixed-width integer types (__u8 ... __s64, __be16/__be32, __sum16, __wsum)
 *   - attribute/section macros: SEC(), __always_inline, __ksym, __kconfig,
 *     __weak, CTSIM_LICENSE()
 *   - BTF-defined map macros: __uint, __type, __array
 *   - BPF helper declarations (`static ... (* const name)(...) = (void *) ID;`)
 *   - bpf_printk()/ctsim_printk() on top of bpf_trace_printk
 *   - byte-order helpers bpf_htons/bpf_ntohs/bpf_htonl/bpf_ntohl
 *   - XDP_* and TC_ACT_* return codes, BPF_MAP_TYPE_* and BPF_F_* flags
 */
#ifndef CTSIM_BPF_BASE_H
#define CTSIM_BPF_BASE_H

#if !defined(__bpf__) && !defined(__BPF__)
#warning "ctsim/bpf_base.h is meant for clang -target bpf"
#endif

/* ------------------------------------------------------------------------ */
/* Fixed-width types (same spelling as <linux/types.h>; identical typedef   */
/* redefinitions are legal C11, so mixing with kernel headers is harmless). */
/* ------------------------------------------------------------------------ */

typedef signed char        __s8;
typedef unsigned char      __u8;
typedef signed short       __s16;
typedef unsigned short     __u16;
typedef signed int         __s32;
typedef unsigned int       __u32;
typedef signed long long   __s64;
typedef unsigned long long __u64;

/* "bitwise" types: plain integers holding network byte order values. */
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u64 __be64;
typedef __u16 __le16;
typedef __u32 __le32;
typedef __u64 __le64;
typedef __u16 __sum16;
typedef __u32 __wsum;

#ifndef NULL
#define NULL ((void *)0)
#endif

#if !defined(__cplusplus) && (!defined(__STDC_VERSION__) || __STDC_VERSION__ < 202311L)
#ifndef bool
typedef _Bool bool;
#define bool bool
#define true 1
#define false 0
#endif
#endif

/* offsetof without <stddef.h> */
#ifndef offsetof
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif

/* ------------------------------------------------------------------------ */
/* Attributes and ELF section conventions understood by libbpf              */
/* ------------------------------------------------------------------------ */

/* Place a program, map or variable in an ELF section (e.g. SEC("xdp")). */
#define SEC(name) __attribute__((section(name), used))

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif
#ifndef __weak
#define __weak __attribute__((weak))
#endif
#ifndef __hidden
#define __hidden __attribute__((visibility("hidden")))
#endif
#ifndef __packed
#define __packed __attribute__((packed))
#endif
#ifndef __aligned
#define __aligned(x) __attribute__((aligned(x)))
#endif

/* Extern resolved by libbpf against kernel BTF: kfuncs and kernel variables. */
#define __ksym __attribute__((section(".ksyms")))
/* Extern filled in by libbpf from the kernel config (CONFIG_*, LINUX_KERNEL_VERSION). */
#define __kconfig __attribute__((section(".kconfig")))

/*
 * True if a __weak __ksym extern was resolved by the loader.  Only meaningful
 * for __weak externs (a strong extern that cannot be resolved fails the load).
 */
#define bpf_ksym_exists(sym) (!!(sym))

/* License section; kfuncs and several helpers need a GPL-compatible license. */
#define CTSIM_LICENSE(lic) char _license[] SEC("license") = lic

/* Compiler barrier, and "hide this value from the optimizer". */
#define barrier() __asm__ __volatile__("" ::: "memory")
#define barrier_var(var) __asm__ __volatile__("" : "+r"(var))

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* Atomic add on a global counter (BPF_ATOMIC | BPF_ADD). */
#define ctsim_count(var, n) ((void)__sync_fetch_and_add(&(var), (n)))
#define ctsim_inc(var)      ctsim_count(var, 1)

/* ------------------------------------------------------------------------ */
/* BTF-defined maps (SEC(".maps")), e.g.                                    */
/*                                                                          */
/*   struct {                                                               */
/*       __uint(type, BPF_MAP_TYPE_ARRAY);                                  */
/*       __uint(max_entries, 4);                                            */
/*       __type(key, __u32);                                                */
/*       __type(value, __u64);                                              */
/*   } counters SEC(".maps");                                               */
/* ------------------------------------------------------------------------ */

/* An integer attribute is encoded as the array dimension of a pointer type. */
#define __uint(name, val)  int (*name)[val]
/* A type attribute is encoded as a pointer to that type. */
#define __type(name, val)  __typeof__(val) *name
/* Inner-map / prog-array initialiser slots. */
#define __array(name, val) __typeof__(val) *name[]

enum bpf_map_type {
	BPF_MAP_TYPE_UNSPEC          = 0,
	BPF_MAP_TYPE_HASH            = 1,
	BPF_MAP_TYPE_ARRAY           = 2,
	BPF_MAP_TYPE_PROG_ARRAY      = 3,
	BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4,
	BPF_MAP_TYPE_PERCPU_HASH     = 5,
	BPF_MAP_TYPE_PERCPU_ARRAY    = 6,
	BPF_MAP_TYPE_LRU_HASH        = 9,
	BPF_MAP_TYPE_LRU_PERCPU_HASH = 10,
	BPF_MAP_TYPE_ARRAY_OF_MAPS   = 12,
	BPF_MAP_TYPE_HASH_OF_MAPS    = 13,
	BPF_MAP_TYPE_DEVMAP          = 14,
	BPF_MAP_TYPE_CPUMAP          = 16,
	BPF_MAP_TYPE_XSKMAP          = 17,
	BPF_MAP_TYPE_DEVMAP_HASH     = 25,
	BPF_MAP_TYPE_RINGBUF         = 27,
};

/* bpf_map_update_elem() flags */
#define BPF_ANY      0ULL
#define BPF_NOEXIST  1ULL
#define BPF_EXIST    2ULL
#define BPF_F_LOCK   4ULL

/* map_flags */
#define BPF_F_NO_PREALLOC  (1U << 0)
#define BPF_F_NUMA_NODE    (1U << 2)
#define BPF_F_RDONLY       (1U << 3)
#define BPF_F_WRONLY       (1U << 4)
#define BPF_F_ZERO_SEED    (1U << 6)
#define BPF_F_RDONLY_PROG  (1U << 7)
#define BPF_F_MMAPABLE     (1U << 10)
#define BPF_F_INNER_MAP    (1U << 12)

/* perf_event_output / redirect flags */
#define BPF_F_INDEX_MASK   0xffffffffULL
#define BPF_F_CURRENT_CPU  BPF_F_INDEX_MASK

/* ------------------------------------------------------------------------ */
/* Program return codes                                                     */
/* ------------------------------------------------------------------------ */

enum xdp_action {
	XDP_ABORTED  = 0,
	XDP_DROP     = 1,
	XDP_PASS     = 2,
	XDP_TX       = 3,
	XDP_REDIRECT = 4,
};

/* tc (SCHED_CLS / SCHED_ACT) verdicts, UAPI <linux/pkt_cls.h> */
#define TC_ACT_UNSPEC      (-1)
#define TC_ACT_OK          0
#define TC_ACT_RECLASSIFY  1
#define TC_ACT_SHOT        2
#define TC_ACT_PIPE        3
#define TC_ACT_STOLEN      4
#define TC_ACT_QUEUED      5
#define TC_ACT_REPEAT      6
#define TC_ACT_REDIRECT    7
#define TC_ACT_TRAP        8

/* ------------------------------------------------------------------------ */
/* Byte order                                                               */
/* ------------------------------------------------------------------------ */

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define bpf_htons(x) ((__be16)__builtin_bswap16((__u16)(x)))
#define bpf_ntohs(x) ((__u16)__builtin_bswap16((__be16)(x)))
#define bpf_htonl(x) ((__be32)__builtin_bswap32((__u32)(x)))
#define bpf_ntohl(x) ((__u32)__builtin_bswap32((__be32)(x)))
#elif __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define bpf_htons(x) ((__be16)(x))
#define bpf_ntohs(x) ((__u16)(x))
#define bpf_htonl(x) ((__be32)(x))
#define bpf_ntohl(x) ((__u32)(x))
#else
#error "unknown __BYTE_ORDER__"
#endif

/* ------------------------------------------------------------------------ */
/* BPF helpers.  The number is the helper ID (enum bpf_func_id); the call   */
/* instruction is `call ID`.  Opaque context pointers are typed `void *` so */
/* these declarations do not depend on vmlinux_min.h.                       */
/* ------------------------------------------------------------------------ */

/* 1: look up a map element, NULL if absent */
static void *(* const bpf_map_lookup_elem)(void *map, const void *key) = (void *) 1;
/* 2: create or update a map element (flags: BPF_ANY/BPF_NOEXIST/BPF_EXIST) */
static long (* const bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *) 2;
/* 3: delete a map element */
static long (* const bpf_map_delete_elem)(void *map, const void *key) = (void *) 3;
/* 5: CLOCK_MONOTONIC in ns */
static __u64 (* const bpf_ktime_get_ns)(void) = (void *) 5;
/* 6: printk into /sys/kernel/tracing/trace_pipe (fmt must be read-only, <= 3 args) */
static long (* const bpf_trace_printk)(const char *fmt, __u32 fmt_size, ...) = (void *) 6;
/* 7: pseudo-random 32-bit number */
static __u32 (* const bpf_get_prandom_u32)(void) = (void *) 7;
/* 8: current CPU id */
static __u32 (* const bpf_get_smp_processor_id)(void) = (void *) 8;
/* 23: redirect the packet to another interface (XDP: flags must be 0) */
static long (* const bpf_redirect)(__u32 ifindex, __u64 flags) = (void *) 23;
/* 26: copy bytes out of an skb (ctx = struct __sk_buff *) */
static long (* const bpf_skb_load_bytes)(const void *skb, __u32 offset, void *to, __u32 len) = (void *) 26;
/* 28: incremental checksum difference */
static __s64 (* const bpf_csum_diff)(__be32 *from, __u32 from_size, __be32 *to, __u32 to_size, __wsum seed) = (void *) 28;
/* 44: move xdp_md->data by delta bytes (ctx = struct xdp_md *) */
static long (* const bpf_xdp_adjust_head)(void *xdp_md, int delta) = (void *) 44;
/* 51: redirect through a DEVMAP/CPUMAP/XSKMAP */
static long (* const bpf_redirect_map)(void *map, __u64 key, __u64 flags) = (void *) 51;
/* 54: move xdp_md->data_meta by delta bytes */
static long (* const bpf_xdp_adjust_meta)(void *xdp_md, int delta) = (void *) 54;
/* 118: the kernel's 64-bit jiffies counter (HZ ticks per second) */
static __u64 (* const bpf_jiffies64)(void) = (void *) 118;
/* 125: CLOCK_BOOTTIME in ns */
static __u64 (* const bpf_ktime_get_boot_ns)(void) = (void *) 125;
/* 130: copy data into a BPF_MAP_TYPE_RINGBUF */
static long (* const bpf_ringbuf_output)(void *ringbuf, void *data, __u64 size, __u64 flags) = (void *) 130;
/* 160: coarse CLOCK_MONOTONIC in ns */
static __u64 (* const bpf_ktime_get_coarse_ns)(void) = (void *) 160;
/* 188: total XDP buffer length including fragments */
static __u64 (* const bpf_xdp_get_buff_len)(void *xdp_md) = (void *) 188;
/* 189: copy bytes out of an XDP buffer (works across fragments) */
static long (* const bpf_xdp_load_bytes)(void *xdp_md, __u32 offset, void *buf, __u32 len) = (void *) 189;
/* 190: copy bytes into an XDP buffer */
static long (* const bpf_xdp_store_bytes)(void *xdp_md, __u32 offset, void *buf, __u32 len) = (void *) 190;

/*
 * printk-style debugging: ctsim_printk("x=%d", x).  The format string is a
 * static const array, so it lands in .rodata (a frozen, read-only map), which
 * is what bpf_trace_printk requires.  At most 3 arguments.  Output goes to
 * /sys/kernel/tracing/trace_pipe.  Requires a GPL-compatible license.
 */
#define ctsim_printk(fmt, ...)                                              \
	({                                                                  \
		static const char ____ctsim_fmt[] = fmt;                    \
		bpf_trace_printk(____ctsim_fmt, sizeof(____ctsim_fmt),      \
				 ##__VA_ARGS__);                            \
	})
#ifndef bpf_printk
#define bpf_printk(fmt, ...) ctsim_printk(fmt, ##__VA_ARGS__)
#endif

#endif /* CTSIM_BPF_BASE_H */
