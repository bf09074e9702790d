#if canImport(Glibc)
import Glibc
#endif

/// Reads (and empties) a namespace's conntrack table through libnetfilter_conntrack, always from
/// a thread inside that namespace: the host's table is never touched.
public enum ConntrackDump {
    /// Every entry of `namespace`'s table, IPv4 and IPv6 (`NFCT_Q_DUMP` with AF_UNSPEC), in the
    /// kernel's hash-bucket order.
    public static func entries(in namespace: NetworkNamespace) throws -> [KernelConntrackEntry] {
        try namespace.run { try ConntrackHandle().dump().entries }
    }

    /// Every entry, each paired with the line libnetfilter_conntrack's own formatter
    /// (`nfct_snprintf`, `NFCT_O_DEFAULT`) gives for it, which is what `conntrack -L` prints.
    public static func entriesWithLibraryLines(
        in namespace: NetworkNamespace
    ) throws -> [(entry: KernelConntrackEntry, line: String)] {
        let result = try namespace.run { try ConntrackHandle().dump(formatted: true) }
        return Array(zip(result.entries, result.lines))
    }

    /// The table of the calling thread's current namespace (the host's, for the main thread),
    /// read-only: one `NFCT_Q_DUMP` through a handle that can do nothing else, the way
    /// `conntrack -L` reads it. Nothing is written, flushed or created.
    public static func currentNamespaceEntries() throws(KernelError) -> [KernelConntrackEntry] {
        try ConntrackHandle(scope: .readOnly).dump().entries
    }

    /// The table of the existing namespace `name` (`/run/netns/NAME`, made by `ip netns add`),
    /// read-only from a thread that entered it. The namespace is not deleted afterwards.
    ///
    /// - Throws: `KernelError` when there is no such namespace or it is the initial one.
    public static func entries(inNamespaceNamed name: String) throws -> [KernelConntrackEntry] {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw KernelError(.namespace, "invalid namespace name '\(name)'")
        }
        let path = "\(NetworkNamespace.directory)/\(name)"
        guard access(path, F_OK) == 0 else { throw KernelError(.namespace, "no network namespace named \(name) (\(path))") }
        return try NetworkNamespace.run(inNamespaceAt: path, name: name) {
            try ConntrackHandle(scope: .readOnly).dump().entries
        }
    }

    /// Empties `namespace`'s table (`NFCT_Q_FLUSH`).
    public static func flush(in namespace: NetworkNamespace) throws {
        try namespace.run { try ConntrackHandle().flush() }
    }
}
