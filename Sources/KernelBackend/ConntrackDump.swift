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

    /// Empties `namespace`'s table (`NFCT_Q_FLUSH`).
    public static func flush(in namespace: NetworkNamespace) throws {
        try namespace.run { try ConntrackHandle().flush() }
    }
}
