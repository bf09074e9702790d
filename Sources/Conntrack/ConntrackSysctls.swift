/// The `net.netfilter.nf_conntrack_*` settings the model follows, with the values of a fresh
/// network namespace on Linux 6.18 as defaults. Timeouts are in seconds, as the sysctls hold them.
public struct ConntrackSysctls: Hashable, Sendable {
    public var tcpTimeoutSynSent = 120
    public var tcpTimeoutSynRecv = 60
    public var tcpTimeoutEstablished = 432_000
    public var tcpTimeoutFinWait = 120
    public var tcpTimeoutCloseWait = 60
    public var tcpTimeoutLastAck = 30
    public var tcpTimeoutTimeWait = 120
    public var tcpTimeoutClose = 10
    public var tcpTimeoutMaxRetrans = 300
    public var tcpTimeoutUnacknowledged = 300
    public var tcpLoose = 1
    public var tcpBeLiberal = 0
    public var tcpIgnoreInvalidRST = 0
    public var tcpMaxRetrans = 3
    public var udpTimeout = 30
    public var udpTimeoutStream = 120
    public var icmpTimeout = 30
    public var icmpv6Timeout = 30
    public var genericTimeout = 600
    public var sctpTimeoutClosed = 10
    public var sctpTimeoutCookieWait = 3
    public var sctpTimeoutCookieEchoed = 3
    public var sctpTimeoutEstablished = 210
    public var sctpTimeoutShutdownSent = 3
    public var sctpTimeoutShutdownRecd = 3
    public var sctpTimeoutShutdownAckSent = 3
    public var sctpTimeoutHeartbeatSent = 30
    public var greTimeout = 30
    public var greTimeoutStream = 180
    public var checksum = 1
    public var max = 262_144
    public var buckets = 262_144
    /// `net.ipv4.ipfrag_time`: how long IPv4 fragments wait for the rest of their datagram.
    public var ipv4FragmentTime = 30
    /// `net.netfilter.nf_conntrack_frag6_timeout`.
    public var ipv6FragmentTimeout = 60
    /// `nf_conntrack_acct`: per-direction packet and byte counters on entries made while it is 1.
    public var accounting = 0
    /// `nf_conntrack_timestamp`: start/stop times on entries. Accepted; it changes nothing the
    /// model reports (`conntrack -L -o extended` prints no timestamps).
    public var timestamp = 0

    public init() {}

    /// The sysctl names (without `net.netfilter.` for conntrack's own) and their key paths.
    nonisolated(unsafe) public static let names: [(String, WritableKeyPath<ConntrackSysctls, Int>)] = [
        ("nf_conntrack_tcp_timeout_syn_sent", \.tcpTimeoutSynSent),
        ("nf_conntrack_tcp_timeout_syn_recv", \.tcpTimeoutSynRecv),
        ("nf_conntrack_tcp_timeout_established", \.tcpTimeoutEstablished),
        ("nf_conntrack_tcp_timeout_fin_wait", \.tcpTimeoutFinWait),
        ("nf_conntrack_tcp_timeout_close_wait", \.tcpTimeoutCloseWait),
        ("nf_conntrack_tcp_timeout_last_ack", \.tcpTimeoutLastAck),
        ("nf_conntrack_tcp_timeout_time_wait", \.tcpTimeoutTimeWait),
        ("nf_conntrack_tcp_timeout_close", \.tcpTimeoutClose),
        ("nf_conntrack_tcp_timeout_max_retrans", \.tcpTimeoutMaxRetrans),
        ("nf_conntrack_tcp_timeout_unacknowledged", \.tcpTimeoutUnacknowledged),
        ("nf_conntrack_tcp_loose", \.tcpLoose),
        ("nf_conntrack_tcp_be_liberal", \.tcpBeLiberal),
        ("nf_conntrack_tcp_ignore_invalid_rst", \.tcpIgnoreInvalidRST),
        ("nf_conntrack_tcp_max_retrans", \.tcpMaxRetrans),
        ("nf_conntrack_udp_timeout", \.udpTimeout),
        ("nf_conntrack_udp_timeout_stream", \.udpTimeoutStream),
        ("nf_conntrack_icmp_timeout", \.icmpTimeout),
        ("nf_conntrack_icmpv6_timeout", \.icmpv6Timeout),
        ("nf_conntrack_generic_timeout", \.genericTimeout),
        ("nf_conntrack_sctp_timeout_closed", \.sctpTimeoutClosed),
        ("nf_conntrack_sctp_timeout_cookie_wait", \.sctpTimeoutCookieWait),
        ("nf_conntrack_sctp_timeout_cookie_echoed", \.sctpTimeoutCookieEchoed),
        ("nf_conntrack_sctp_timeout_established", \.sctpTimeoutEstablished),
        ("nf_conntrack_sctp_timeout_shutdown_sent", \.sctpTimeoutShutdownSent),
        ("nf_conntrack_sctp_timeout_shutdown_recd", \.sctpTimeoutShutdownRecd),
        ("nf_conntrack_sctp_timeout_shutdown_ack_sent", \.sctpTimeoutShutdownAckSent),
        ("nf_conntrack_sctp_timeout_heartbeat_sent", \.sctpTimeoutHeartbeatSent),
        ("nf_conntrack_gre_timeout", \.greTimeout),
        ("nf_conntrack_gre_timeout_stream", \.greTimeoutStream),
        ("nf_conntrack_checksum", \.checksum),
        ("nf_conntrack_max", \.max),
        ("nf_conntrack_buckets", \.buckets),
        ("nf_conntrack_frag6_timeout", \.ipv6FragmentTimeout),
        ("nf_conntrack_acct", \.accounting),
        ("nf_conntrack_timestamp", \.timestamp),
    ]

    /// Sets one sysctl by name: `net.netfilter.nf_conntrack_tcp_loose`, `nf_conntrack_tcp_loose`,
    /// the `/proc/sys` path form with slashes, `net.nf_conntrack_max`, or `net.ipv4.ipfrag_time`.
    ///
    /// - Throws: `ConntrackError` (`.badSysctl`) for an unknown name or a value that is not a
    ///   non-negative integer.
    public mutating func set(_ name: String, _ value: String) throws(ConntrackError) {
        var key = name.trimmingSpaces.replacingSlashes
        for prefix in ["proc.sys.", ".proc.sys."] where key.hasPrefix(prefix) { key.removeFirst(prefix.count) }
        if key == "net.ipv4.ipfrag_time" {
            ipv4FragmentTime = try Self.number(name, value)
            return
        }
        for prefix in ["net.netfilter.", "net."] where key.hasPrefix(prefix) { key.removeFirst(prefix.count) }
        guard let path = Self.names.first(where: { $0.0 == key })?.1 else {
            throw ConntrackError(.badSysctl, "unknown sysctl '\(name)'")
        }
        let number = try Self.number(name, value)
        if path == \.max || path == \.buckets, number > 1 << 26 {
            throw ConntrackError(.badSysctl, "sysctl '\(name)': \(number) is larger than ctsim supports (\(1 << 26))")
        }
        if path == \.buckets, number == 0 {
            throw ConntrackError(.badSysctl, "sysctl '\(name)': must be at least 1")
        }
        self[keyPath: path] = number
    }

    /// Applies `key=value` (or `key = value`) lines; blank lines and `#`/`;` comments are skipped,
    /// as `sysctl -p` does.
    ///
    /// - Throws: `ConntrackError` naming the line.
    public mutating func apply(file text: String, name: String) throws(ConntrackError) {
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConntrackError(.badSysctl, "\(name):\(lineNumber): expected key=value, got '\(line)'")
            }
            do {
                try set(String(line[..<equals]), String(line[line.index(after: equals)...]))
            } catch {
                throw ConntrackError(.badSysctl, "\(name):\(lineNumber): \(error.message)")
            }
        }
    }

    private static func number(_ name: String, _ value: String) throws(ConntrackError) -> Int {
        guard let n = Int(value.trimmingSpaces), n >= 0, n <= Int(Int32.max) else {
            throw ConntrackError(.badSysctl, "sysctl '\(name)': '\(value)' is not a non-negative integer")
        }
        return n
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" }) else { return "" }
        let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" })!
        return String(String.UnicodeScalarView(scalars[first...last]))
    }

    var replacingSlashes: String {
        String(map { $0 == "/" ? "." : $0 })
    }
}
