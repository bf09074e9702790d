import Packets
import Synchronization

#if canImport(Glibc)
import Glibc
#endif
import CLinuxShims

/// Three namespaces that make the kernel track forwarded traffic: a client, the router under
/// test, and a sink.
///
/// ```
/// client  198.51.100.1/24 2001:db8::1/64 ── 198.51.100.2/24 2001:db8::2/64  router
/// router  203.0.113.1/30 2001:db8:ff::1/64 ── 203.0.113.2/30 2001:db8:ff::2/64  sink
/// ```
///
/// The router forwards (IPv4 and IPv6), routes 192.0.2.0/24 and 2001:db8:1::/64 to the sink, and
/// has an nftables `inet` table whose input and forward chains hold a `ct state new counter`
/// rule, so its conntrack hooks are registered. The sink routes the client networks back through
/// the router. Frames injected on the client's veth with the router's MAC as destination are
/// tracked by the router's conntrack and confirmed when forwarded, replies included. The router
/// knows the client's and the sink's MACs as permanent neighbours, so forwarding never waits for
/// ARP or neighbour discovery.
///
/// Interface names carry a per-topology tag, so topologies can coexist. `tearDown()` deletes all
/// three namespaces and is idempotent; `withTopology` calls it on every exit path.
public final class ForwardingTopology: Sendable {
    /// What to set up beyond the fixed layout.
    public struct Configuration: Sendable {
        /// `net.netfilter.*` (or other per-namespace) sysctls set in the router after the
        /// nftables table is loaded and before any traffic, in order.
        public var routerSysctls: [(key: String, value: String)]
        /// Extra nftables text loaded into the router after the base table (`nft -f -`).
        public var extraRouterRuleset: String?

        public init(routerSysctls: [(key: String, value: String)] = [], extraRouterRuleset: String? = nil) {
            self.routerSysctls = routerSysctls
            self.extraRouterRuleset = extraRouterRuleset
        }
    }

    /// The addresses of the layout.
    public enum Address {
        public static let clientIPv4 = IPv4Address(198, 51, 100, 1)
        public static let routerClientIPv4 = IPv4Address(198, 51, 100, 2)
        public static let routerSinkIPv4 = IPv4Address(203, 0, 113, 1)
        public static let sinkIPv4 = IPv4Address(203, 0, 113, 2)
        public static let clientIPv6 = IPv6Address("2001:db8::1")!
        public static let routerClientIPv6 = IPv6Address("2001:db8::2")!
        public static let routerSinkIPv6 = IPv6Address("2001:db8:ff::1")!
        public static let sinkIPv6 = IPv6Address("2001:db8:ff::2")!
        /// Networks routed through the sink: where servers live.
        public static let serverNetworkIPv4 = "192.0.2.0/24"
        public static let serverNetworkIPv6 = "2001:db8:1::/64"
        /// Networks of the client side.
        public static let clientNetworkIPv4 = "198.51.100.0/24"
        public static let clientNetworkIPv6 = "2001:db8::/64"
    }

    /// The name of the nftables table loaded into the router.
    public static let routerTable = "ctsim"

    private static let counter = Mutex(0)

    public let client: NetworkNamespace
    public let router: NetworkNamespace
    public let sink: NetworkNamespace

    /// The client's veth (in `client`).
    public let clientInterface: String
    /// The router's veth toward the client (in `router`).
    public let routerClientInterface: String
    /// The router's veth toward the sink (in `router`).
    public let routerSinkInterface: String
    /// The sink's veth (in `sink`).
    public let sinkInterface: String

    /// MAC address of `clientInterface`.
    public let clientMAC: MACAddress
    /// MAC address of `routerClientInterface`: the destination of every injected frame.
    public let routerMAC: MACAddress

    /// Builds the whole layout. On failure, whatever was created is deleted before the error is
    /// thrown.
    ///
    /// - Throws: `KernelError` from `ip`, `nft`, sysctl writes or namespace creation.
    public static func create(configuration: Configuration = Configuration()) throws -> ForwardingTopology {
        let number = counter.withLock { value in
            value += 1
            return value
        }
        // ct + pid in base 36 (at most 5 digits) + x + counter: at most 13 characters.
        let tag = String(getpid(), radix: 36) + "x" + String(number, radix: 36)
        let names = (client: "cta\(tag)", routerClient: "ctb\(tag)", routerSink: "ctc\(tag)", sink: "ctd\(tag)")
        var created: [NetworkNamespace] = []
        do {
            let client = try NetworkNamespace.create()
            created.append(client)
            let router = try NetworkNamespace.create()
            created.append(router)
            let sink = try NetworkNamespace.create()
            created.append(sink)
            try configure(client: client, router: router, sink: sink, names: names, configuration: configuration)
            let clientMAC = try client.run { try interfaceMAC(names.client) }
            let routerMAC = try router.run { try interfaceMAC(names.routerClient) }
            return ForwardingTopology(
                client: client, router: router, sink: sink,
                interfaces: names, clientMAC: clientMAC, routerMAC: routerMAC)
        } catch {
            for namespace in created.reversed() { try? namespace.delete() }
            throw error
        }
    }

    private init(
        client: NetworkNamespace, router: NetworkNamespace, sink: NetworkNamespace,
        interfaces names: (client: String, routerClient: String, routerSink: String, sink: String),
        clientMAC: MACAddress, routerMAC: MACAddress
    ) {
        self.client = client
        self.router = router
        self.sink = sink
        clientInterface = names.client
        routerClientInterface = names.routerClient
        routerSinkInterface = names.routerSink
        sinkInterface = names.sink
        self.clientMAC = clientMAC
        self.routerMAC = routerMAC
    }

    private static func configure(
        client: NetworkNamespace, router: NetworkNamespace, sink: NetworkNamespace,
        names: (client: String, routerClient: String, routerSink: String, sink: String),
        configuration: Configuration
    ) throws {
        // The veths are created inside the namespaces (never in the host's) with their peers moved
        // straight into the neighbour namespace.
        try client.ipBatch([
            "link add \(names.client) type veth peer name \(names.routerClient) netns \(router.name)",
            "addr add \(Address.clientIPv4)/24 dev \(names.client)",
            "addr add \(Address.clientIPv6)/64 dev \(names.client) nodad",
            "link set \(names.client) up",
        ])
        // Forwarding first: setting ip_forward resets per-interface settings.
        try router.setSysctls([
            ("net.ipv4.ip_forward", "1"),
            ("net.ipv6.conf.all.forwarding", "1"),
            ("net.ipv4.conf.all.rp_filter", "0"),
            ("net.ipv4.conf.default.rp_filter", "0"),
        ])
        try router.ipBatch([
            "link add \(names.routerSink) type veth peer name \(names.sink) netns \(sink.name)",
            "addr add \(Address.routerClientIPv4)/24 dev \(names.routerClient)",
            "addr add \(Address.routerClientIPv6)/64 dev \(names.routerClient) nodad",
            "addr add \(Address.routerSinkIPv4)/30 dev \(names.routerSink)",
            "addr add \(Address.routerSinkIPv6)/64 dev \(names.routerSink) nodad",
            "link set \(names.routerClient) up",
            "link set \(names.routerSink) up",
        ])
        try sink.ipBatch([
            "addr add \(Address.sinkIPv4)/30 dev \(names.sink)",
            "addr add \(Address.sinkIPv6)/64 dev \(names.sink) nodad",
            "link set \(names.sink) up",
            "route add \(Address.clientNetworkIPv4) via \(Address.routerSinkIPv4)",
            "route add \(Address.clientNetworkIPv6) via \(Address.routerSinkIPv6)",
        ])
        try router.ipBatch([
            "route add \(Address.serverNetworkIPv4) via \(Address.sinkIPv4)",
            "route add \(Address.serverNetworkIPv6) via \(Address.sinkIPv6)",
        ])
        // Permanent neighbours, so forwarded packets leave at once instead of waiting in a
        // neighbour queue (where each holds a reference on its conntrack entry: `use` > 1).
        let clientMAC = try client.run { try interfaceMAC(names.client) }
        let sinkMAC = try sink.run { try interfaceMAC(names.sink) }
        try router.ipBatch([
            "neigh replace \(Address.clientIPv4) lladdr \(clientMAC) dev \(names.routerClient) nud permanent",
            "neigh replace \(Address.clientIPv6) lladdr \(clientMAC) dev \(names.routerClient) nud permanent",
            "neigh replace \(Address.sinkIPv4) lladdr \(sinkMAC) dev \(names.routerSink) nud permanent",
            "neigh replace \(Address.sinkIPv6) lladdr \(sinkMAC) dev \(names.routerSink) nud permanent",
        ])
        try router.setSysctls([
            ("net.ipv4.conf.\(names.routerClient).rp_filter", "0"),
            ("net.ipv4.conf.\(names.routerSink).rp_filter", "0"),
        ])
        try router.loadNftables(baseRuleset)
        if let extra = configuration.extraRouterRuleset { try router.loadNftables(extra) }
        if !configuration.routerSysctls.isEmpty { try router.setSysctls(configuration.routerSysctls) }
    }

    /// The router's nftables table: `ct state new counter` in input and forward, policy accept.
    public static let baseRuleset = """
        table inet \(routerTable) {
            chain input {
                type filter hook input priority filter; policy accept;
                ct state new counter
            }
            chain forward {
                type filter hook forward priority filter; policy accept;
                ct state new counter
            }
        }

        """

    /// Reads an interface's MAC address in the calling thread's namespace (`ctsim_interface_mac`,
    /// SIOCGIFHWADDR).
    static func interfaceMAC(_ interface: String) throws(KernelError) -> MACAddress {
        var mac = [UInt8](repeating: 0, count: 6)
        try systemCall("SIOCGIFHWADDR \(interface)") { ctsim_interface_mac(interface, &mac) }
        return MACAddress(bytes: mac)
    }

    /// The three namespaces, client first.
    public var namespaces: [NetworkNamespace] { [client, router, sink] }

    /// Whether `tearDown()` has run.
    public var isTornDown: Bool { namespaces.allSatisfy(\.isDeleted) }

    /// Deletes the three namespaces (and with them the veths). Idempotent; tries all three even
    /// when one fails, then throws the first failure.
    public func tearDown() throws(KernelError) {
        var first: KernelError?
        for namespace in [sink, router, client] {
            do { try namespace.delete() } catch { first = first ?? error }
        }
        if let first { throw first }
    }

    /// Sets per-namespace sysctls in the router (e.g. `net.netfilter.nf_conntrack_acct`).
    public func setRouterSysctls(_ settings: [(key: String, value: String)]) throws {
        try router.setSysctls(settings)
    }

    /// Opens a frame injector on the client's veth that addresses frames to the router.
    public func makeInjector() throws -> FrameInjector {
        try FrameInjector(
            namespace: client, interface: clientInterface, sourceMAC: clientMAC, destinationMAC: routerMAC)
    }

    /// Dumps the router's conntrack table through libnetfilter_conntrack.
    public func routerConntrack() throws -> [KernelConntrackEntry] {
        try ConntrackDump.entries(in: router)
    }

    /// Builds a topology, hands it to `body`, and tears it down however `body` ends.
    public static func withTopology<Result>(
        configuration: Configuration = Configuration(), _ body: (ForwardingTopology) throws -> Result
    ) throws -> Result {
        let topology = try create(configuration: configuration)
        let result: Result
        do {
            result = try body(topology)
        } catch {
            try? topology.tearDown()
            throw error
        }
        try topology.tearDown()
        return result
    }

    /// The async form of `withTopology`.
    public static func withTopology<Result>(
        configuration: Configuration = Configuration(), _ body: (ForwardingTopology) async throws -> Result
    ) async throws -> Result {
        let topology = try create(configuration: configuration)
        let result: Result
        do {
            result = try await body(topology)
        } catch {
            try? topology.tearDown()
            throw error
        }
        try topology.tearDown()
        return result
    }
}
