/// One TCP connection whose sequence and acknowledgement numbers it keeps for both sides, so
/// that a test writes what happens (handshake, data, close) and gets properly sequenced segments.
///
/// SYNs carry MSS, SACK-permitted and window scale 7 (as Linux sends them); later segments a
/// window of 502 (64 256 bytes scaled). Timestamps are off unless ``timestamps`` is set.
///
/// ```swift
/// var web = TCPConversation(client: "198.51.100.1:40000", server: "192.0.2.10:80")
/// traffic += web.handshake()                       // SYN, SYN-ACK, ACK
/// traffic += web.send("GET / HTTP/1.1\r\n\r\n")    // PSH-ACK from the client, ACK from the server
/// traffic += web.send(response, from: .server)
/// traffic += web.close()                           // FIN-ACK, FIN-ACK, ACK
/// ```
public struct TCPConversation: Sendable, ConntrackFlow {
    public var flow: Flow
    /// The next sequence number each side sends.
    public var clientNext: UInt32
    public var serverNext: UInt32
    /// VLAN tags of every frame, outermost first.
    public var vlanTags: [VLANTag]
    /// Send TCP timestamps (option 8) on every segment but RSTs.
    public var timestamps = false
    /// Window scale offered in the SYN and SYN-ACK (nil: none, and windows are unscaled).
    public var windowScale: UInt8? = 7
    var timestampClock: UInt32 = 1_000_000
    var lastClientTimestamp: UInt32 = 0
    var lastServerTimestamp: UInt32 = 0
    var identification: UInt16 = 1

    public init(_ flow: Flow, clientISN: UInt32 = 1_000, serverISN: UInt32 = 50_000, vlan: VLANTag? = nil) {
        precondition(flow.transport == .tcp, "\(flow) is not a TCP flow")
        self.flow = flow
        clientNext = clientISN
        serverNext = serverISN
        vlanTags = vlan.map { [$0] } ?? []
    }

    public init(
        client: Endpoint, server: Endpoint, clientISN: UInt32 = 1_000, serverISN: UInt32 = 50_000, vlan: VLANTag? = nil
    ) {
        self.init(.tcp(client: client, server: server), clientISN: clientISN, serverISN: serverISN, vlan: vlan)
    }

    public var originalTuple: ConntrackTuple { flow.originalTuple }

    /// One segment from `sender`: its sequence number is the sender's next, its acknowledgement
    /// (when `flags` has ACK) everything the peer sent; the sender's next number advances by the
    /// payload and by SYN and FIN. `sequence` sends from another number (a retransmission, an
    /// out-of-window segment) and leaves the counters alone.
    public mutating func segment(from sender: Side, flags: TCPFlags, payload: [UInt8] = [], sequence: UInt32? = nil)
        -> PacketSpec
    {
        let fromClient = sender == .client
        var options = TCPOptions()
        if flags.contains(.syn) {
            options.maximumSegmentSize = flow.isIPv6 ? 1440 : 1460
            options.sackPermitted = true
            options.windowScale = windowScale
        }
        if timestamps && !flags.contains(.rst) {
            timestampClock &+= 7
            options.timestamp = (timestampClock, fromClient ? lastServerTimestamp : lastClientTimestamp)
            if fromClient { lastClientTimestamp = timestampClock } else { lastServerTimestamp = timestampClock }
        }
        let seq = sequence ?? (fromClient ? clientNext : serverNext)
        let ack = flags.contains(.ack) ? (fromClient ? serverNext : clientNext) : 0
        let window: UInt16 = flags.contains(.rst) ? 0 : flags.contains(.syn) || windowScale == nil ? 64_240 : 502
        let segment = TCPSegment(
            sourcePort: fromClient ? flow.client.port : flow.server.port,
            destinationPort: fromClient ? flow.server.port : flow.client.port,
            sequence: seq, acknowledgement: ack, flags: flags, window: window, options: options, payload: payload)
        if sequence == nil {
            let length = UInt32(payload.count) + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
            if fromClient { clientNext &+= length } else { serverNext &+= length }
        }
        var ip = IPPacketBuilder(
            source: fromClient ? flow.client.address : flow.server.address,
            destination: fromClient ? flow.server.address : flow.client.address, transport: .tcp(segment))
        ip.identification = identification
        identification &+= 1
        return PacketSpec(ip, sender: sender, vlanTags: vlanTags)
    }

    /// SYN from the client, SYN-ACK from the server, ACK from the client.
    public mutating func handshake() -> [PacketSpec] {
        [
            segment(from: .client, flags: .syn), segment(from: .server, flags: [.syn, .ack]),
            segment(from: .client, flags: .ack),
        ]
    }

    /// `payload` from `sender` in one PSH-ACK segment, and (when `acknowledged`) the peer's ACK.
    public mutating func send(_ payload: [UInt8], from sender: Side = .client, acknowledged: Bool = true)
        -> [PacketSpec]
    {
        var specs = [segment(from: sender, flags: [.psh, .ack], payload: payload)]
        if acknowledged { specs.append(segment(from: sender.peer, flags: .ack)) }
        return specs
    }

    /// The UTF-8 bytes of `text` from `sender`, as ``send(_:from:acknowledged:)-([UInt8],_,_)`` sends bytes.
    public mutating func send(_ text: String, from sender: Side = .client, acknowledged: Bool = true) -> [PacketSpec] {
        send(Array(text.utf8), from: sender, acknowledged: acknowledged)
    }

    /// An orderly close: FIN-ACK from `initiator`, FIN-ACK from the peer, the last ACK.
    public mutating func close(initiator: Side = .client) -> [PacketSpec] {
        [
            segment(from: initiator, flags: [.fin, .ack]), segment(from: initiator.peer, flags: [.fin, .ack]),
            segment(from: initiator, flags: .ack),
        ]
    }

    /// A reset from `sender` at its next sequence number (RST-ACK unless `acknowledging` is false).
    public mutating func reset(from sender: Side, acknowledging: Bool = true) -> PacketSpec {
        segment(from: sender, flags: acknowledging ? [.rst, .ack] : .rst)
    }
}
