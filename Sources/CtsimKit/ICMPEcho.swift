/// ICMP echo (ping) between a client and a server address: ICMP over IPv4, ICMPv6 over IPv6.
/// Conntrack keys the exchange by the identifier.
///
/// ```swift
/// var ping = ICMPEcho(client: IPAddress("198.51.100.1")!, server: IPAddress("192.0.2.10")!)
/// traffic += ping.exchange()      // request and reply, sequence 1
/// traffic += ping.request()       // sequence 2, unanswered
/// ```
public struct ICMPEcho: Sendable, ConntrackFlow {
    public var client: IPAddress
    public var server: IPAddress
    public var identifier: UInt16
    /// The sequence number of the next request.
    public var sequence: UInt16 = 1
    public var payload: [UInt8]
    public var vlanTags: [VLANTag]

    public init(
        client: IPAddress, server: IPAddress, identifier: UInt16 = 0x4242, payload: [UInt8] = Array("ctsim ping".utf8),
        vlan: VLANTag? = nil
    ) {
        precondition(client.isIPv6 == server.isIPv6, "\(client) and \(server) are of different address families")
        self.client = client
        self.server = server
        self.identifier = identifier
        self.payload = payload
        vlanTags = vlan.map { [$0] } ?? []
    }

    public var originalTuple: ConntrackTuple {
        .icmp(source: client, destination: server, type: client.isIPv6 ? 128 : 8, code: 0, id: identifier)
    }

    /// An echo request from the client with the next sequence number.
    public mutating func request() -> PacketSpec {
        defer { sequence &+= 1 }
        let ip = IPPacketBuilder(
            source: client, destination: server,
            transport: .echoRequest(v6: client.isIPv6, identifier: identifier, sequence: sequence, payload: payload))
        return PacketSpec(ip, sender: .client, vlanTags: vlanTags)
    }

    /// The server's reply to the request with sequence number `sequence` (the last one sent when nil).
    public func reply(to sequence: UInt16? = nil) -> PacketSpec {
        let ip = IPPacketBuilder(
            source: server, destination: client,
            transport: .echoReply(
                v6: client.isIPv6, identifier: identifier, sequence: sequence ?? (self.sequence &- 1), payload: payload)
        )
        return PacketSpec(ip, sender: .server, vlanTags: vlanTags)
    }

    /// A request and its reply.
    public mutating func exchange() -> [PacketSpec] {
        let request = request()
        return [request, reply()]
    }
}
