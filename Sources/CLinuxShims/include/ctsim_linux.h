#ifndef CTSIM_LINUX_SHIMS_H
#define CTSIM_LINUX_SHIMS_H
/// Small wrappers for Linux calls that Glibc's Swift overlay does not show: namespace switching
/// (needs _GNU_SOURCE), AF_PACKET sockets and the variadic ioctl.
#include <stdint.h>
#include <stddef.h>
#include "ctsim_cleanup.h"

/// setns(2) with CLONE_NEWNET. Returns 0 or -1 with errno set.
int ctsim_setns_net(int fd);
/// unshare(2) with CLONE_NEWNET for the calling thread. Returns 0 or -1 with errno set.
int ctsim_unshare_net(void);
/// gettid(2): the calling thread's id, for /proc/self/task/TID/ns/net.
int ctsim_gettid(void);
/// An AF_PACKET/SOCK_RAW socket bound to `ifindex` for all protocols. Returns the fd or -1.
int ctsim_packet_socket(int ifindex);
/// sendto(2) on an AF_PACKET socket: one whole link-layer frame out of `ifindex`.
long ctsim_packet_send(int fd, int ifindex, const void *frame, size_t length);
/// An AF_PACKET/SOCK_RAW socket bound to `ifindex` with protocol 0: it can send frames but
/// receives nothing, so no receive queue fills up while a capture is injected.
int ctsim_packet_send_socket(int ifindex);
/// sched_setaffinity(2) for the calling thread: pins it to the CPU it is running on, so frames it
/// sends enter one CPU's backlog in order. Returns the CPU number or -1 with errno set.
int ctsim_pin_to_current_cpu(void);
/// SIOCGIFHWADDR: copies the interface's 6-byte MAC address into `mac`. Returns 0 or -1.
int ctsim_interface_mac(const char *name, uint8_t mac[6]);

#endif
