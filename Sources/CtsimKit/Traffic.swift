import Foundation

/// Hand-built traffic: Ethernet frames on a clock, ready to run through a program or the
/// conntrack model, or to write as a pcap.
///
/// The first packet leaves at ``start``; each later one ``step`` after the previous (or its
/// spec's own ``PacketSpec/delay``); ``wait(_:)`` adds a pause. Frames from the client carry
/// ``clientMAC`` as source and ``routerMAC`` as destination, frames from the server the reverse.
///
/// ```swift
/// var traffic = Traffic()
/// var web = TCPConversation(client: "198.51.100.1:40000", server: "192.0.2.10:80")
/// traffic += web.handshake()
/// traffic += web.send("GET / HTTP/1.1\r\n\r\n")
/// traffic.wait(.seconds(2))
/// traffic += web.close()
/// try traffic.write(to: "/tmp/web.pcap")
/// ```
public struct Traffic: Sendable {
    /// 2026-01-01T00:00:00Z, the sample captures' epoch.
    public static let defaultStart = Timestamp(seconds: 1_767_225_600)

    public let start: Timestamp
    /// The gap between packets whose spec sets none.
    public var step: Duration
    public var clientMAC = MACAddress(2, 0, 0, 0, 0, 1)
    public var routerMAC = MACAddress(2, 0, 0, 0, 0, 2)
    /// The frames so far, numbered from 1, on the Ethernet link type.
    public private(set) var packets: [CapturedPacket] = []
    /// The time of the last packet (``start`` before the first), plus any ``wait(_:)`` since.
    public private(set) var clock: Timestamp

    public init(start: Timestamp = Traffic.defaultStart, step: Duration = .milliseconds(1)) {
        self.start = start
        self.step = step
        clock = start
    }

    public var count: Int { packets.count }

    /// Appends one packet, framed for its sender.
    public mutating func append(_ spec: PacketSpec) {
        let fromClient = spec.sender == .client
        let frame = FrameBuilder.ethernet(
            spec.ip.build(), source: fromClient ? clientMAC : routerMAC,
            destination: fromClient ? routerMAC : clientMAC,
            vlanTags: spec.vlanTags)
        append(frame: frame, after: spec.delay)
    }

    /// Appends packets in order.
    public mutating func append(contentsOf specs: some Sequence<PacketSpec>) {
        for spec in specs { append(spec) }
    }

    /// Appends a finished Ethernet frame, `delay` (or ``step``) after the previous packet.
    public mutating func append(frame: [UInt8], after delay: Duration? = nil) {
        if !packets.isEmpty { clock = clock.adding(delay ?? step) }
        packets.append(CapturedPacket(number: packets.count + 1, timestamp: clock, data: frame))
    }

    /// A pause before the next packet (on top of its delay).
    public mutating func wait(_ duration: Duration) { clock = clock.adding(duration) }

    public static func += (traffic: inout Traffic, specs: [PacketSpec]) { traffic.append(contentsOf: specs) }
    public static func += (traffic: inout Traffic, spec: PacketSpec) { traffic.append(spec) }

    /// The traffic as an in-memory capture (Ethernet, nanosecond timestamps).
    public var capture: Capture {
        Capture(
            path: "traffic.pcap", format: CaptureFormat(container: .pcap, precision: .nanoseconds, bigEndian: false),
            linkType: .ethernet,
            snapshotLength: 262_144, packets: packets)
    }

    /// Writes the traffic as a pcap file (Packets' `CaptureWriter`).
    /// - Throws: `CtsimKitError` of kind `.capture` when the file cannot be written.
    public func write(to path: String, precision: CaptureFormat.Precision = .nanoseconds) throws(CtsimKitError) {
        // Checked here: Packets' CaptureWriter frees libpcap's handle twice when pcap_dump_open fails.
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CtsimKitError(.capture, "cannot create the file", location: path)
        }
        do {
            let writer = try CaptureWriter(path: path, linkType: .ethernet, precision: precision)
            for packet in packets { try writer.write(packet) }
            try writer.close()
        } catch {
            throw CtsimKitError(.capture, error.description, location: path)
        }
    }
}

extension Timestamp {
    /// This time plus `duration` (to the nanosecond).
    func adding(_ duration: Duration) -> Timestamp {
        let (seconds, attoseconds) = duration.components
        return Timestamp(nanoseconds: nanoseconds &+ seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000)
    }
}
