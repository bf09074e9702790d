import CtsimKit
import CtsimTesting
import Foundation
import KernelBackend
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The kernel is the judge: builder traffic injected into a live kernel router (a private
/// `ForwardingTopology`, paced by the traffic's timestamps) leaves the same conntrack table as
/// `ConntrackSimulation` computes for it: tuples, TCP state, status bits, mark, zone, timeouts.
@Suite("Builder traffic: the simulated table against the live kernel's")
struct KernelAgreementTests {
    struct Scenario: Sendable, CustomStringConvertible {
        var name: String
        var traffic: Traffic
        var sysctls: [String: String] = [:]
        /// Entries the traffic must leave (a table of nothing would agree trivially).
        var entries: Int
        var description: String { name }
    }

    static let scenarios: [Scenario] = {
        var tcp = Traffic()
        var closed = TCPConversation(client: "198.51.100.1:40000", server: "192.0.2.10:80")
        var open6 = TCPConversation(client: "[2001:db8::1]:40001", server: "[2001:db8:1::10]:443")
        var refused = TCPConversation(client: "198.51.100.1:40002", server: "192.0.2.20:25")
        var unanswered = TCPConversation(client: "[2001:db8::1]:40003", server: "[2001:db8:1::20]:22")
        var stamped = TCPConversation(
            client: "198.51.100.1:40004", server: "192.0.2.10:8080", clientISN: 0xFFFF_FF00, serverISN: 0x7FFF_FFF0)
        stamped.timestamps = true
        tcp += closed.handshake()
        tcp += open6.handshake()
        tcp += closed.send("GET / HTTP/1.1\r\n\r\n")
        tcp += closed.send(Array(repeating: 0x61, count: 1200), from: .server)
        tcp += open6.send("hello")
        tcp += refused.segment(from: .client, flags: .syn)
        tcp += refused.reset(from: .server)
        tcp += unanswered.segment(from: .client, flags: .syn)
        tcp += stamped.handshake()
        tcp += stamped.send(Array(repeating: 0x62, count: 600), from: .server)
        tcp += closed.close(initiator: .server)

        var datagrams = Traffic(step: .microseconds(700))
        var dns = UDPConversation(client: "198.51.100.1:5353", server: "192.0.2.53:53")
        var lonely = UDPConversation(client: "[2001:db8::1]:6000", server: "[2001:db8:1::53]:9")
        var tagged = UDPConversation(client: "198.51.100.1:7000", server: "192.0.2.20:7", vlan: VLANTag(id: 100))
        var ping = ICMPEcho(client: IPAddress("198.51.100.1")!, server: IPAddress("192.0.2.10")!)
        var ping6 = ICMPEcho(client: IPAddress("2001:db8::1")!, server: IPAddress("2001:db8:1::10")!, identifier: 7)
        datagrams += dns.exchange("query", "answer")
        datagrams += lonely.send("anyone?")
        datagrams += tagged.exchange("ping", "pong")
        datagrams += ping.exchange()
        datagrams += ping6.exchange()
        datagrams += ping6.request()

        var timeouts = Traffic()
        var short = UDPConversation(client: "198.51.100.1:8000", server: "192.0.2.53:53")
        var gone = UDPConversation(client: "198.51.100.1:8001", server: "192.0.2.53:54")
        var web = TCPConversation(client: "198.51.100.1:40010", server: "192.0.2.10:80")
        timeouts += gone.send("expires")
        timeouts += web.handshake()
        timeouts.wait(.milliseconds(2500))
        timeouts += short.exchange("q", "a")

        return [
            Scenario(name: "tcp", traffic: tcp, entries: 4),  // the refused SYN leaves none,
            Scenario(name: "datagrams", traffic: datagrams, entries: 5),
            Scenario(
                name: "sysctls", traffic: timeouts,
                sysctls: [
                    "net.netfilter.nf_conntrack_udp_timeout": "2",
                    "net.netfilter.nf_conntrack_tcp_timeout_established": "900",
                ],
                entries: 2),
        ]
    }()

    /// The comparable part of an entry; timeouts are checked apart.
    struct Shape: Hashable, CustomStringConvertible {
        var family: UInt8
        var protocolNumber: UInt8
        var original: KernelConntrackEntry.Tuple
        var reply: KernelConntrackEntry.Tuple
        var state: TCPConntrackState?
        var status: ConntrackStatus
        var mark: UInt32
        var zone: UInt16
        var description: String {
            "\(original) \(reply) \(state.map { "\($0) " } ?? "")\(status) mark=\(mark) zone=\(zone)"
        }
    }

    static func tuple(_ t: ConntrackTuple) -> KernelConntrackEntry.Tuple {
        let layer4: KernelConntrackEntry.Layer4 =
            t.isICMP
            ? .icmp(type: t.icmpType, code: t.icmpCode, id: t.icmpID)
            : t.hasPorts ? .ports(source: t.sourcePort, destination: t.destinationPort) : .none
        return KernelConntrackEntry.Tuple(source: t.source, destination: t.destination, layer4: layer4)
    }

    static func shape(_ e: ConntrackEntry) -> Shape {
        Shape(
            family: e.original.family, protocolNumber: e.protocolNumber, original: tuple(e.original),
            reply: tuple(e.reply), state: e.tcpState,
            status: e.status, mark: e.mark, zone: e.zone)
    }

    static func shape(_ e: KernelConntrackEntry) -> Shape {
        Shape(
            family: e.family.number, protocolNumber: e.protocolNumber, original: e.original, reply: e.reply,
            state: e.tcpState, status: e.status,
            mark: e.mark, zone: e.zone)
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    @Test("the kernel's table equals the simulation's", .needsKernel, arguments: scenarios)
    func agree(_ scenario: Scenario) throws {
        let simulation = try ConntrackSimulation(sysctls: scenario.sysctls)
        simulation.track(scenario.traffic)
        let model = simulation.table
        #expect(model.count == scenario.entries, "simulated table:\n\(model)")

        let sysctls = scenario.sysctls.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
        let (kernel, slack) = try withForwardingTopology(configuration: .init(routerSysctls: sysctls)) { topology in
            let start = Self.monotonicSeconds()
            let report = try topology.makeInjector().inject(
                scenario.traffic.capture, pacing: .timestamps(speedup: 1, maximumGap: 10))
            #expect(report.sent == scenario.traffic.count)
            #expect(report.skipped.isEmpty)
            let entries = try topology.routerConntrack()
            let span = scenario.traffic.packets.last!.timestamp.seconds(since: scenario.traffic.packets[0].timestamp)
            return (entries, max(0, Self.monotonicSeconds() - start - span))
        }
        let kernelLines = kernel.map { $0.conntrackListLine() }.joined(separator: "\n")
        #expect(
            Set(kernel.map(Self.shape)) == Set(model.entries.map(Self.shape)),
            "kernel:\n\(kernelLines)\nsimulated:\n\(model)")
        #expect(kernel.count == model.count)
        for entry in model.entries {
            guard let live = kernel.first(where: { Self.shape($0).original == Self.tuple(entry.original) }) else {
                continue
            }
            let exact = Double(entry.timeout - model.now) / Double(model.hz)
            let allowed =
                max(0, Int((exact - slack - 0.02).rounded(.down)))...max(0, Int((exact + 0.02).rounded(.down)))
            #expect(
                allowed.contains(Int(live.timeout)),
                "\(live.original): kernel timeout \(live.timeout), simulated \(exact) s (slack \(slack) s)")
        }
    }
}
