import CLinuxShims

#if canImport(Glibc)
import Glibc
#endif

/// The last line of defence for namespaces: on SIGINT, SIGTERM or SIGHUP, a C handler
/// (`ctsim_cleanup_install`) removes every namespace this process created and has not deleted
/// yet (umount2 + unlink of `/run/netns/NAME`, as `ip netns del` does), then lets the signal end
/// the process as usual.
///
/// `NetworkNamespace.create()` installs the handler and registers each namespace before it
/// exists; `delete()` unregisters it. BPF programs and maps need nothing here: they are file
/// descriptors (ctsim pins nothing), so the kernel frees them when the process dies.
public enum SignalCleanup {
    /// Installs the handlers once. A signal the process was started with ignored stays ignored.
    public static func install() {
        _ = ctsim_cleanup_install()
    }

    /// How many namespaces are registered for removal on a signal.
    public static var registeredCount: Int { Int(ctsim_cleanup_registered()) }
}
