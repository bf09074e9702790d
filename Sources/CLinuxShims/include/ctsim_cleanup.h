#ifndef CTSIM_CLEANUP_H
#define CTSIM_CLEANUP_H
/// Emergency cleanup of the network namespaces this process created, for SIGINT, SIGTERM and
/// SIGHUP: the handler removes every registered `/run/netns/NAME` bind mount the way
/// `ip netns del` does (umount2 with MNT_DETACH, then unlink), restores the default action and
/// re-raises the signal, so the process still ends as killed by it. A forked child repeats the
/// removal for a second, for an `ip netns add` that was still running. Everything the handler calls
/// is async-signal-safe; the registry is a fixed table of slots claimed with atomics.

/// The most namespaces registered at once.
#define CTSIM_CLEANUP_SLOTS 64

/// Installs the handlers (once; later calls do nothing) and unblocks SIGTERM for the calling
/// thread. An inherited "ignore" is kept for SIGINT and SIGHUP, not for SIGTERM. Returns 0 or -1.
int ctsim_cleanup_install(void);
/// Registers a namespace bind-mount path (at most 255 bytes). Returns the slot or -1 when the
/// table is full or the path too long.
int ctsim_cleanup_register(const char *path);
/// Forgets a slot returned by `ctsim_cleanup_register` (the namespace was deleted normally).
void ctsim_cleanup_unregister(int slot);
/// How many slots are in use (for tests).
int ctsim_cleanup_registered(void);
/// Removes one namespace bind mount: umount2(path, MNT_DETACH) then unlink(path).
/// Returns 0 when the path is gone afterwards, -1 with errno set otherwise.
int ctsim_netns_remove(const char *path);

#endif
