/// Datagrams between a client and a server endpoint.
///
/// ```swift
/// var dns = UDPConversation(client: "198.51.100.1:5353", server: "192.0.2.53:53")
/// traffic += dns.send("query")
/// traffic += dns.send("answer", from: .server)
/// ```
public struct UDPConversation: Sendable, ConntrackFlow {
    public var flow: Flow
    public var vlanTags: [VLANTag]
    var identification: UInt16 = 1

    public init(_ flow: Flow, vlan: VLANTag? = nil) {
        precondition(flow.transport == .udp, "\(flow) is not a UDP flow")
        self.flow = flow
        vlanTags = vlan.map { [$0] } ?? []
    }

    public init(client: Endpoint, server: Endpoint, vlan: VLANTag? = nil) {
        self.init(.udp(client: client, server: server), vlan: vlan)
    }

    public var originalTuple: ConntrackTuple { flow.originalTuple }

    /// One datagram carrying `payload` from `sender`.
    public mutating func send(_ payload: [UInt8], from sender: Side = .client) -> PacketSpec {
        let fromClient = sender == .client
        var ip = IPPacketBuilder(
            source: fromClient ? flow.client.address : flow.server.address,
            destination: fromClient ? flow.server.address : flow.client.address,
            transport: .udp(
                sourcePort: fromClient ? flow.client.port : flow.server.port,
                destinationPort: fromClient ? flow.server.port : flow.client.port, payload: payload))
        ip.identification = identification
        identification &+= 1
        return PacketSpec(ip, sender: sender, vlanTags: vlanTags)
    }

    /// One datagram carrying the UTF-8 bytes of `text`.
    public mutating func send(_ text: String, from sender: Side = .client) -> PacketSpec {
        send(Array(text.utf8), from: sender)
    }

    /// A request from the client and the server's answer.
    public mutating func exchange(_ request: String, _ answer: String) -> [PacketSpec] {
        [send(request), send(answer, from: .server)]
    }
}
