/// A TCP or UDP flow between a client and a server endpoint; the client sends first.
///
/// ```swift
/// let web = Flow.tcp(client: "198.51.100.1:40000", server: "192.0.2.10:80")
/// let entry = program.conntrack[web]
/// ```
public struct Flow: Hashable, Sendable, CustomStringConvertible, ConntrackFlow {
    public enum TransportProtocol: UInt8, Hashable, Sendable {
        case tcp = 6
        case udp = 17
    }

    public var transport: TransportProtocol
    public var client: Endpoint
    public var server: Endpoint

    /// - Precondition: both endpoints are of one address family.
    public init(_ transport: TransportProtocol, client: Endpoint, server: Endpoint) {
        precondition(
            client.address.isIPv6 == server.address.isIPv6, "\(client) and \(server) are of different address families")
        self.transport = transport
        self.client = client
        self.server = server
    }

    public static func tcp(client: Endpoint, server: Endpoint) -> Flow { Flow(.tcp, client: client, server: server) }
    public static func udp(client: Endpoint, server: Endpoint) -> Flow { Flow(.udp, client: client, server: server) }

    public var isIPv6: Bool { client.address.isIPv6 }

    public var originalTuple: ConntrackTuple {
        ConntrackTuple(
            source: client.address, destination: server.address, protocolNumber: transport.rawValue,
            sourcePort: client.port, destinationPort: server.port)
    }

    public var description: String { "\(transport == .tcp ? "tcp" : "udp") \(client) -> \(server)" }
}
