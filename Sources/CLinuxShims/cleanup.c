#define _GNU_SOURCE
#include "ctsim_cleanup.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

/* Slot states: 0 free, 1 being written, 2 registered. */
static _Atomic int slot_state[CTSIM_CLEANUP_SLOTS];
static char slot_path[CTSIM_CLEANUP_SLOTS][256];
static atomic_flag installed = ATOMIC_FLAG_INIT;
static const int handled_signals[] = {SIGINT, SIGTERM, SIGHUP};

int ctsim_netns_remove(const char *path) {
    umount2(path, MNT_DETACH);
    if (unlink(path) == 0 || errno == ENOENT) return 0;
    return -1;
}

/* Removes every registered path now, and again for a second from a forked child: an `ip netns
 * add` that was running when the signal came (and outlives this process) may create its
 * namespace after the first pass. The parent does not wait, so no other thread of it runs on
 * into the half-removed state. */
static void remove_registered(int repeat_in_child) {
    for (int i = 0; i < CTSIM_CLEANUP_SLOTS; i++)
        if (atomic_load(&slot_state[i]) == 2) ctsim_netns_remove(slot_path[i]);
    if (!repeat_in_child) return;
    pid_t child = _Fork();
    if (child != 0) return;
    struct timespec tick = {0, 20 * 1000 * 1000};
    for (int round = 0; round < 50; round++) {
        nanosleep(&tick, NULL);
        for (int i = 0; i < CTSIM_CLEANUP_SLOTS; i++)
            if (atomic_load(&slot_state[i]) == 2) ctsim_netns_remove(slot_path[i]);
    }
    _exit(0);
}

static void cleanup_handler(int sig) {
    int saved = errno;
    remove_registered(1);
    errno = saved;
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    /* The signal is blocked while its handler runs; unblock it so the re-raise ends the process. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
}

int ctsim_cleanup_install(void) {
    if (atomic_flag_test_and_set(&installed)) return 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = cleanup_handler;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof handled_signals / sizeof handled_signals[0]; i++)
        sigaddset(&action.sa_mask, handled_signals[i]);
    for (size_t i = 0; i < sizeof handled_signals / sizeof handled_signals[0]; i++) {
        struct sigaction old;
        if (sigaction(handled_signals[i], NULL, &old) < 0) return -1;
        /* SIGHUP and SIGINT that the parent told us to ignore stay ignored (nohup, background
         * jobs); SIGTERM is always handled, whatever was inherited. */
        if (old.sa_handler == SIG_IGN && handled_signals[i] != SIGTERM) continue;
        if (sigaction(handled_signals[i], &action, NULL) < 0) return -1;
    }
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &term, NULL);
    return 0;
}

int ctsim_cleanup_register(const char *path) {
    size_t length = strlen(path);
    if (length >= sizeof slot_path[0]) return -1;
    for (int i = 0; i < CTSIM_CLEANUP_SLOTS; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&slot_state[i], &expected, 1)) {
            memcpy(slot_path[i], path, length + 1);
            atomic_store(&slot_state[i], 2);
            return i;
        }
    }
    return -1;
}

void ctsim_cleanup_unregister(int slot) {
    if (slot < 0 || slot >= CTSIM_CLEANUP_SLOTS) return;
    int expected = 2;
    atomic_compare_exchange_strong(&slot_state[slot], &expected, 0);
}

int ctsim_cleanup_registered(void) {
    int count = 0;
    for (int i = 0; i < CTSIM_CLEANUP_SLOTS; i++)
        if (atomic_load(&slot_state[i]) == 2) count++;
    return count;
}
