import Packets

/// One capture `TrafficGenerator` made, with what it knows about its flows.
public struct GeneratedCapture: Sendable {
    public var seed: UInt64
    public var mix: TrafficMix
    /// The capture itself (`sample.write(to:)` writes it; `sample.capture` is it in memory).
    public var sample: SampleCapture
    /// The flows, in the order they were planned.
    public var flows: [GeneratedFlow]
    /// The `net.netfilter.*` settings the capture is meant to be tracked with (empty: defaults).
    public var routerSysctls: [(key: String, value: String)]

    /// The capture's span: last timestamp minus first, in seconds.
    public var duration: Double {
        guard let first = sample.packets.first?.timestamp, let last = sample.packets.last?.timestamp else { return 0 }
        return last.seconds(since: first)
    }
}

/// One flow of a generated capture: the scenario, the tuple of the connection it opens (the
/// original direction, client to server), and, where the generator is sure of it, the entry the
/// kernel must hold for it at the end of the capture.
public struct GeneratedFlow: Sendable, Hashable {
    public var scenario: TrafficScenario
    public var key: GeneratedFlowKey
    /// Nil where the outcome depends on details the generator does not settle (window tracking
    /// after loss, simultaneous open); the differential test still compares those with the model.
    public var expectation: FlowExpectation?
}

/// The original-direction tuple of a flow.
public struct GeneratedFlowKey: Sendable, Hashable, CustomStringConvertible {
    public enum Layer4: Sendable, Hashable {
        case ports(source: UInt16, destination: UInt16)
        /// ICMP/ICMPv6 queries: the request type, code 0, and the identifier.
        case icmp(type: UInt8, id: UInt16)
    }

    public var protocolNumber: UInt8
    public var source: IPAddress
    public var destination: IPAddress
    public var layer4: Layer4

    public var description: String {
        let name = [6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"][Int(protocolNumber)] ?? "proto \(protocolNumber)"
        switch layer4 {
        case .ports(let s, let d): return "\(name) \(source):\(s) -> \(destination):\(d)"
        case .icmp(let t, let i): return "\(name) \(source) -> \(destination) type=\(t) id=\(i)"
        }
    }
}

/// What the kernel's table must say about a flow after the capture.
public enum FlowExpectation: Sendable, Hashable, CustomStringConvertible {
    /// No entry with the flow's original tuple.
    case absent
    /// An entry with the flow's original tuple. `tcpState` is the `conntrack -L` state name
    /// (nil for other protocols); `assured` nil when either is acceptable.
    case present(tcpState: String?, replied: Bool, assured: Bool?)

    public var description: String {
        switch self {
        case .absent: return "no entry"
        case .present(let state, let replied, let assured):
            var parts = [state ?? "entry", replied ? "replied" : "UNREPLIED"]
            if let assured { parts.append(assured ? "ASSURED" : "not ASSURED") }
            return parts.joined(separator: " ")
        }
    }
}

extension SampleCapture {
    /// The capture in memory, as `Capture(contentsOf:)` would read it back from the file
    /// (timestamps are whole microseconds already, so nothing is lost).
    public var capture: Capture {
        Capture(
            path: name,
            format: CaptureFormat(
                container: container == .pcap ? .pcap : .pcapng, precision: precision, bigEndian: false),
            linkType: linkType, snapshotLength: snapshotLength,
            packets: packets.enumerated().map { index, packet in
                CapturedPacket(
                    number: index + 1, timestamp: packet.timestamp, originalLength: packet.originalLength,
                    data: packet.frame)
            })
    }
}
