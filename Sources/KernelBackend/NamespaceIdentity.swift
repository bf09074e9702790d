#if canImport(Glibc)
import Glibc
#endif
import CLinuxShims

/// A network namespace as the kernel identifies it: the device and inode of its nsfs file
/// (stat(2) on `/run/netns/NAME`, `/proc/1/ns/net` or `/proc/self/task/TID/ns/net`).
public struct NamespaceIdentity: Hashable, Sendable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64

    /// Reads the identity of the namespace file at `path`.
    public init(path: String) throws(KernelError) {
        var info = stat()
        try systemCall("stat \(path)") { stat(path, &info) }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    /// The namespace of the calling thread (`/proc/self/task/TID/ns/net`, TID from gettid(2)).
    public static func currentThread() throws(KernelError) -> NamespaceIdentity {
        try NamespaceIdentity(path: "/proc/self/task/\(ctsim_gettid())/ns/net")
    }

    /// The inode number the kernel gives the initial network namespace (`PROC_NET_INIT_INO`,
    /// `include/linux/proc_ns.h`): fixed since Linux 3.8.
    public static let initialNetworkInode: UInt64 = 0xEFFF_FFF9

    /// The initial network namespace, the one of process 1 (`/proc/1/ns/net`). Where that file
    /// cannot be read (a sandbox that hides process 1), its well-known inode number stands in.
    public static func initial() -> NamespaceIdentity {
        if let identity = try? NamespaceIdentity(path: "/proc/1/ns/net") { return identity }
        return NamespaceIdentity(device: 0, inode: initialNetworkInode)
    }

    /// The namespace the process lives in: that of its main thread (`/proc/self/ns/net`), which
    /// ctsim never moves.
    public static func process() throws(KernelError) -> NamespaceIdentity {
        try NamespaceIdentity(path: "/proc/self/ns/net")
    }

    private init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// Whether this is the initial namespace (compared by device and inode, or by inode alone
    /// against the fallback).
    public var isInitial: Bool {
        let initial = Self.initial()
        return initial.device == 0 ? inode == initial.inode : self == initial
    }

    public var description: String { "net:[\(inode)]" }

    /// Throws unless the calling thread is in `target` and that is not the initial namespace.
    ///
    /// Called before every conntrack netlink call, so the host's table is never read or flushed.
    public static func requireCurrentThread(in target: NamespaceIdentity, name: String) throws(KernelError) {
        let current = try currentThread()
        guard current == target else {
            throw KernelError(.refused, "thread is in \(current), not in namespace \(name) (\(target))")
        }
        try requireNotInitial()
    }

    /// Throws unless the calling thread is outside both the initial network namespace and the
    /// namespace the process was started in.
    public static func requireNotInitial() throws(KernelError) {
        let current = try currentThread()
        guard !current.isInitial else {
            throw KernelError(.refused, "the calling thread is in the initial network namespace \(current)")
        }
        let home = try process()
        guard current != home else {
            throw KernelError(.refused, "the calling thread is in the process's own network namespace \(current)")
        }
    }
}
