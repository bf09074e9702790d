#if canImport(Glibc)
import Glibc
#endif

/// An error from the live-kernel side: a failed system call, a failed `ip`/`nft` command, a
/// netlink query that went wrong, or a kernel that lacks what ctsim needs.
///
/// Its `description` is one line: the kind, what was being done, and the reason (with the errno
/// name and number where there was one).
public struct KernelError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// A system call failed; `errno` holds the code.
        case systemCall = "system call failed"
        /// An external command (`ip`, `nft`, `conntrack`) could not be run or exited non-zero.
        case command = "command failed"
        /// A network namespace could not be created, entered or deleted.
        case namespace = "namespace error"
        /// A libnetfilter_conntrack query failed.
        case conntrack = "conntrack query failed"
        /// libbpf could not load or search the kernel's BTF.
        case btf = "BTF error"
        /// A captured frame cannot be injected.
        case frame = "frame cannot be injected"
        /// The machine lacks something the live-kernel path needs (root, a tool, the kfuncs).
        case unsupported = "kernel support missing"
        /// libbpf could not open, load or run a BPF object, or read its maps.
        case program = "BPF program error"
        /// A safety check refused to act (for example a conntrack call in the initial namespace).
        case refused = "refused"
    }

    public var kind: Kind
    /// What went wrong, in words, including what was being done.
    public var message: String
    /// The errno value, when a system call failed.
    public var errno: Int32?

    public init(_ kind: Kind, _ message: String, errno: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.errno = errno
    }

    /// An error for the current `errno` after `operation` failed.
    public static func fromErrno(_ operation: String, kind: Kind = .systemCall, errno code: Int32 = Glibc.errno) -> KernelError {
        KernelError(kind, "\(operation): \(errnoDescription(code))", errno: code)
    }

    /// `strerror` text plus the symbolic name, e.g. `Operation not permitted (EPERM, 1)`.
    public static func errnoDescription(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        if let name = errnoNames[code] { return "\(text) (\(name), \(code))" }
        return "\(text) (errno \(code))"
    }

    private static let errnoNames: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO", EBADF: "EBADF",
        EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES", EBUSY: "EBUSY", EEXIST: "EEXIST",
        ENODEV: "ENODEV", EINVAL: "EINVAL", ENOSPC: "ENOSPC", EMSGSIZE: "EMSGSIZE", ENOBUFS: "ENOBUFS",
        ENOTSUP: "EOPNOTSUPP", EPROTONOSUPPORT: "EPROTONOSUPPORT", ENETDOWN: "ENETDOWN",
        ENXIO: "ENXIO", ENODATA: "ENODATA", EAFNOSUPPORT: "EAFNOSUPPORT",
    ]

    public var description: String { "\(kind.rawValue): \(message)" }
}

/// The errno funnel: runs `call` until it does not fail with EINTR, and turns a return value of -1
/// into a `KernelError` naming `operation` and the errno.
@discardableResult
@inline(__always)
func systemCall<Result: FixedWidthInteger>(
    _ operation: @autoclosure () -> String, _ call: () -> Result
) throws(KernelError) -> Result {
    while true {
        let result = call()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw KernelError.fromErrno(operation(), errno: code)
    }
}
