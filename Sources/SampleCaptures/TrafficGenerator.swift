import Packets

/// A seeded, reproducible generator of random traffic for the differential tests: the same seed
/// and mix give a byte-identical capture on every run.
///
/// A capture holds a few flows between clients on 198.51.100.0/24 and 2001:db8::/64 and servers on
/// 192.0.2.0/24 and 2001:db8:1::/64 (the networks `ForwardingTopology` routes), each flow one
/// scenario: TCP lifecycles with loss, reordering, retransmission, in- and out-of-window RSTs,
/// simultaneous open, half-close, port reuse, window scaling/SACK/timestamps; UDP with and without
/// replies and with gaps; ICMP and ICMPv6 echo and errors quoting tracked and untracked flows;
/// IPv4 and IPv6 fragments in and out of order. Flows are interleaved on the capture's own clock
/// (microsecond steps); a capture spans well under a second, except in the mixes whose point is a
/// gap (`.udpStream`, `.timeouts`), which span about three seconds.
///
/// ```swift
/// let generated = TrafficGenerator.capture(seed: 7)
/// try generated.sample.write(to: "/tmp")
/// ```
public enum TrafficGenerator {
    /// The client addresses flows use. `.1` is the client namespace's own address; `.3` to `.6`
    /// are not assigned anywhere, so a router that forwards replies to them needs neighbour
    /// entries for them (`neighbourAddresses`).
    public static let clientAddresses4: [IPAddress] = [
        .v4(IPv4Address(198, 51, 100, 1)), .v4(IPv4Address(198, 51, 100, 3)), .v4(IPv4Address(198, 51, 100, 4)),
    ]
    public static let clientAddresses6: [IPAddress] = [
        IPAddress("2001:db8::1")!, IPAddress("2001:db8::3")!, IPAddress("2001:db8::4")!,
    ]
    public static let serverAddresses4: [IPAddress] = [
        .v4(IPv4Address(192, 0, 2, 10)), .v4(IPv4Address(192, 0, 2, 20)), .v4(IPv4Address(192, 0, 2, 53)),
    ]
    public static let serverAddresses6: [IPAddress] = [
        IPAddress("2001:db8:1::10")!, IPAddress("2001:db8:1::20")!, IPAddress("2001:db8:1::53")!,
    ]
    /// Hops on the server side that send ICMP errors about flows passing them.
    public static let hop4 = IPAddress.v4(IPv4Address(192, 0, 2, 1))
    public static let hop6 = IPAddress("2001:db8:1::1")!

    /// Client addresses other than the client namespace's own: a router forwarding replies to
    /// them must know their MAC (a permanent neighbour entry), or it queues the replies.
    public static var neighbourAddresses: [IPAddress] {
        Array(clientAddresses4.dropFirst()) + Array(clientAddresses6.dropFirst())
    }

    /// The capture for `seed`, with the mix `TrafficMix.standard(forSeed:)` assigns to it.
    public static func capture(seed: UInt64) -> GeneratedCapture {
        capture(seed: seed, mix: .standard(forSeed: seed))
    }

    /// The capture for `seed` in `mix`.
    public static func capture(seed: UInt64, mix: TrafficMix) -> GeneratedCapture {
        // Mix the mix into the seed so that one seed gives unrelated captures in different mixes.
        var random = SeededRandom(seed: seed ^ UInt64(mix.ordinal) &* 0x9E37_79B9_7F4A_7C15)
        var plan = FlowPlanner()
        plan.ipv6Only = mix == .ipv6
        let scenarios = mix.scenarios(using: &random)
        var flows: [GeneratedFlow] = []
        var recordings: [FlowRecording] = []
        for (index, scenario) in scenarios.enumerated() {
            let start = mix.isGapMix ? random.int64(in: 0...50_000) : random.int64(in: 0...150_000)
            var recording = FlowRecording(
                start: start, ipIdentification: UInt16(truncatingIfNeeded: index &* 4099 &+ 1))
            let flow = scenario.record(into: &recording, plan: &plan, random: &random)
            flows.append(flow)
            recordings.append(recording)
        }
        // Interleave: by time, then by flow, then by order within the flow.
        var events: [(time: Int64, flow: Int, order: Int, fromClient: Bool, packet: [UInt8])] = []
        for (flowIndex, recording) in recordings.enumerated() {
            for (order, event) in recording.events.enumerated() {
                events.append((event.time, flowIndex, order, event.fromClient, event.packet))
            }
        }
        events.sort { ($0.time, $0.flow, $0.order) < ($1.time, $1.flow, $1.order) }
        let base = Timestamp(seconds: 1_767_225_600)  // 2026-01-01T00:00:00Z
        var packets: [(timestamp: Timestamp, frame: [UInt8], originalLength: Int)] = []
        packets.reserveCapacity(events.count)
        for event in events {
            let frame = FrameBuilder.ethernet(
                event.packet,
                source: event.fromClient ? SampleAddresses.clientMAC : SampleAddresses.routerMAC,
                destination: event.fromClient ? SampleAddresses.routerMAC : SampleAddresses.clientMAC)
            packets.append((Timestamp(nanoseconds: base.nanoseconds + event.time * 1000), frame, frame.count))
        }
        let sample = SampleCapture(
            name: "generated-\(mix.rawValue)-\(seed).pcap",
            summary: "generated traffic, mix \(mix.rawValue), seed \(seed): "
                + flows.map(\.scenario.rawValue).joined(separator: ", "),
            linkType: .ethernet, container: .pcap, precision: .microseconds, snapshotLength: 262_144,
            packets: packets)
        return GeneratedCapture(seed: seed, mix: mix, sample: sample, flows: flows, routerSysctls: mix.routerSysctls)
    }
}
