import Packets

/// One of the captures ctsim ships in `Pcaps/`, described as code so it can be regenerated
/// byte for byte.
public struct SampleCapture: Sendable {
    public enum Container: Sendable {
        case pcap
        case pcapng
    }

    /// The file name, e.g. `tcp-handshake-close.pcap`.
    public var name: String
    /// What the capture shows.
    public var summary: String
    public var linkType: LinkType
    public var container: Container
    public var precision: CaptureFormat.Precision
    public var snapshotLength: Int
    public var packets: [(timestamp: Timestamp, frame: [UInt8], originalLength: Int)]

    /// Writes the capture to `directory/name`.
    public func write(to directory: String) throws(CaptureError) {
        let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        switch container {
        case .pcap:
            let writer = try CaptureWriter(
                path: path, linkType: linkType, snapshotLength: snapshotLength, precision: precision)
            for packet in packets {
                try writer.write(packet.frame, timestamp: packet.timestamp, originalLength: packet.originalLength)
            }
            try writer.close()
        case .pcapng:
            let writer = PcapNGWriter(path: path, linkType: linkType, snapshotLength: snapshotLength, precision: precision)
            for packet in packets {
                writer.write(packet.frame, timestamp: packet.timestamp, originalLength: packet.originalLength)
            }
            try writer.close()
        }
    }
}

/// The addresses every sample uses: documentation ranges that the kernel test topology routes
/// (clients on 198.51.100.0/24 and 2001:db8::/64, servers behind the router on 192.0.2.0/24 and
/// 2001:db8:1::/64).
public enum SampleAddresses {
    public static let client4 = IPAddress("198.51.100.1")!
    public static let server4 = IPAddress("192.0.2.10")!
    public static let dns4 = IPAddress("192.0.2.53")!
    public static let router4 = IPAddress("198.51.100.2")!
    public static let client6 = IPAddress("2001:db8::1")!
    public static let server6 = IPAddress("2001:db8:1::10")!
    public static let clientMAC = MACAddress("02:00:00:00:00:01")!
    public static let routerMAC = MACAddress("02:00:00:00:00:02")!
}

/// Accumulates the packets of a sample on a virtual clock.
struct SampleRecorder {
    var linkType: LinkType = .ethernet
    var clock = Timestamp(seconds: 1_767_225_600)  // 2026-01-01T00:00:00Z
    var packets: [(timestamp: Timestamp, frame: [UInt8], originalLength: Int)] = []
    var vlanTags: [VLANTag] = []

    init(linkType: LinkType = .ethernet) { self.linkType = linkType }

    mutating func advance(milliseconds: Int64 = 0, microseconds: Int64 = 0, nanoseconds: Int64 = 0) {
        clock.nanoseconds += milliseconds * 1_000_000 + microseconds * 1000 + nanoseconds
    }

    /// Adds an IP packet sent by the client side (`fromClient`) or the server side.
    mutating func add(ip packet: [UInt8], fromClient: Bool, snapshotLength: Int? = nil) {
        let source = fromClient ? SampleAddresses.clientMAC : SampleAddresses.routerMAC
        let destination = fromClient ? SampleAddresses.routerMAC : SampleAddresses.clientMAC
        let frame: [UInt8]
        switch linkType {
        case .ethernet: frame = FrameBuilder.ethernet(packet, source: source, destination: destination, vlanTags: vlanTags)
        case .linuxSLL: frame = FrameBuilder.linuxSLL(packet, packetType: fromClient ? 0 : 4, source: source)
        case .linuxSLL2: frame = FrameBuilder.linuxSLL2(packet, packetType: fromClient ? 0 : 4, source: source)
        case .null: frame = FrameBuilder.loopback(packet)
        case .loop: frame = FrameBuilder.loopback(packet, networkOrder: true)
        default: frame = packet
        }
        let kept = snapshotLength.map { Array(frame.prefix($0)) } ?? frame
        packets.append((clock, kept, frame.count))
    }

    mutating func add(_ builder: IPPacketBuilder, fromClient: Bool) {
        add(ip: builder.build(), fromClient: fromClient)
    }

    func sample(
        _ name: String, _ summary: String, container: SampleCapture.Container = .pcap,
        precision: CaptureFormat.Precision = .microseconds, snapshotLength: Int = 262_144
    ) -> SampleCapture {
        SampleCapture(
            name: name, summary: summary, linkType: linkType, container: container, precision: precision,
            snapshotLength: snapshotLength, packets: packets)
    }
}

/// A TCP connection between a client and a server whose sequence numbers the recorder keeps.
struct TCPConversation {
    var client: IPAddress
    var clientPort: UInt16
    var server: IPAddress
    var serverPort: UInt16
    var clientNext: UInt32
    var serverNext: UInt32
    var timestamps = true
    var tsClock: UInt32 = 1_000_000
    var lastClientTS: UInt32 = 0
    var lastServerTS: UInt32 = 0

    init(client: IPAddress, clientPort: UInt16, server: IPAddress, serverPort: UInt16, clientISN: UInt32, serverISN: UInt32) {
        self.client = client
        self.clientPort = clientPort
        self.server = server
        self.serverPort = serverPort
        clientNext = clientISN
        serverNext = serverISN
    }

    /// One segment; advances the sender's next sequence number by the payload and SYN/FIN.
    mutating func segment(fromClient: Bool, flags: TCPFlags, payload: [UInt8] = [], options extra: TCPOptions? = nil) -> IPPacketBuilder {
        tsClock &+= 7
        var options = extra ?? TCPOptions()
        if timestamps {
            options.timestamp = (tsClock, fromClient ? lastServerTS : lastClientTS)
            if fromClient { lastClientTS = tsClock } else { lastServerTS = tsClock }
        }
        let sequence = fromClient ? clientNext : serverNext
        let acknowledgement = flags.contains(.ack) ? (fromClient ? serverNext : clientNext) : 0
        let segment = TCPSegment(
            sourcePort: fromClient ? clientPort : serverPort, destinationPort: fromClient ? serverPort : clientPort,
            sequence: sequence, acknowledgement: acknowledgement, flags: flags,
            window: flags.contains(.syn) ? 64_240 : 502, options: options, payload: payload)
        let advance = UInt32(payload.count) + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
        if fromClient { clientNext &+= advance } else { serverNext &+= advance }
        var builder = IPPacketBuilder(
            source: fromClient ? client : server, destination: fromClient ? server : client, transport: .tcp(segment))
        builder.identification = UInt16(truncatingIfNeeded: sequence)
        return builder
    }

    static var synOptions: TCPOptions {
        var options = TCPOptions()
        options.maximumSegmentSize = 1460
        options.sackPermitted = true
        options.windowScale = 7
        return options
    }

    /// SYN, SYN-ACK, ACK.
    mutating func handshake(into recorder: inout SampleRecorder, rtt milliseconds: Int64 = 20) {
        recorder.add(segment(fromClient: true, flags: .syn, options: Self.synOptions), fromClient: true)
        recorder.advance(milliseconds: milliseconds)
        recorder.add(segment(fromClient: false, flags: [.syn, .ack], options: Self.synOptions), fromClient: false)
        recorder.advance(milliseconds: 1)
        recorder.add(segment(fromClient: true, flags: .ack), fromClient: true)
    }
}

/// Bytes of readable filler text, deterministic.
func filler(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
    let text = Array("ctsim sample payload 0123456789 abcdefghijklmnopqrstuvwxyz\n".utf8)
    return (0..<count).map { text[($0 + Int(seed)) % text.count] }
}
