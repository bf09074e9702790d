import CtsimTesting
import Foundation
import KernelBackend
import Packets
import Testing

/// Writes the round-trip traffic as a capture of `linkType`, reads it back, and returns it.
func writeAndReadRoundTripCapture(linkType: LinkType) throws -> Capture {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("ctsim-roundtrip-\(getpid())-\(UUID().uuidString).pcap").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let writer = try CaptureWriter(path: path, linkType: linkType)
    for (index, packet) in RoundTripTraffic.packets.enumerated() {
        // Tag the UDP request: the injector must drop the tag.
        let vlan: UInt16? = linkType == .ethernet && index == 3 ? 100 : nil
        try writer.write(
            HandBuiltFrames.frame(packet, linkType: linkType, vlan: vlan),
            timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: Int64(index) * 1_000_000))
    }
    try writer.close()
    return try Capture(contentsOf: path)
}

@Suite("Round trip through the live kernel")
struct RoundTripTests {
    @Test("forwarding topology: unique short names, coexisting, torn down", .needsKernel)
    func topologies() throws {
        var names: [String] = []
        try withForwardingTopology { first in
            try withForwardingTopology { second in
                let interfaces = [first, second].flatMap {
                    [$0.clientInterface, $0.routerClientInterface, $0.routerSinkInterface, $0.sinkInterface]
                }
                #expect(Set(interfaces).count == 8)
                #expect(interfaces.allSatisfy { $0.utf8.count <= 15 })
                names = (first.namespaces + second.namespaces).map(\.name)
                #expect(Set(names).count == 6)
                #expect(try first.router.sysctl("net.ipv4.ip_forward") == "1")
                #expect(try first.router.sysctl("net.ipv6.conf.all.forwarding") == "1")
                let rules = try first.router.execute("nft", ["list", "table", "inet", ForwardingTopology.routerTable])
                #expect(rules.standardOutput.contains("ct state new counter"))
                let neighbours = try first.router.ip(["neigh", "show", "nud", "permanent"]).lines
                #expect(neighbours.count == 4)
            }
        }
        let left = Set(NetworkNamespace.existingNames())
        #expect(left.isDisjoint(with: names))
    }

    @Test("a failing body still tears the topology down", .needsKernel)
    func topologyCleanupAfterError() throws {
        struct Fail: Error {}
        var names: [String] = []
        #expect(throws: Fail.self) {
            try withForwardingTopology { topology in
                names = topology.namespaces.map(\.name)
                throw Fail()
            }
        }
        #expect(names.count == 3)
        #expect(Set(NetworkNamespace.existingNames()).isDisjoint(with: names))
    }

    @Test(
        "handshake, UDP, ICMP and IPv6 land in the router's table exactly as expected", .needsKernel,
        arguments: [LinkType.ethernet, .linuxSLL2, .raw])
    func roundTrip(linkType: LinkType) throws {
        let capture = try writeAndReadRoundTripCapture(linkType: linkType)
        #expect(capture.linkType == linkType)
        #expect(capture.packets.count == RoundTripTraffic.packets.count)
        try withForwardingTopology { topology in
            let report = try topology.makeInjector().inject(capture)
            #expect(report.sent == capture.packets.count)
            #expect(report.skipped.isEmpty)
            let entries = try topology.routerConntrack()
            let shapes = entries.map(KernelConntrackEntryShape.init).sorted()
            let expected = RoundTripTraffic.expectedEntries.sorted()
            #expect(shapes == expected)
            for shape in expected {
                guard let entry = entries.first(where: { KernelConntrackEntryShape($0) == shape }) else { continue }
                #expect(shape.timeout.contains(entry.timeout), "\(shape): timeout \(entry.timeout)")
                #expect(entry.use == 1)
                #expect(entry.mark == 0)
                #expect(entry.zone == 0)
            }
            let tcp = try #require(entries.first { $0.protocolNumber == 6 && $0.family == .ipv4 })
            #expect(tcp.status.rawValue == 0xE)
            #expect(tcp.status.names == ["SEEN_REPLY", "ASSURED", "CONFIRMED"])
            let udp = try #require(entries.first { $0.protocolNumber == 17 && $0.family == .ipv4 })
            #expect(udp.status == [.seenReply, .confirmed])
            // Flushing empties the router's table only.
            try ConntrackDump.flush(in: topology.router)
            #expect(try topology.routerConntrack().isEmpty)
        }
    }

    @Test("pacing by timestamps keeps the gaps", .needsKernel)
    func pacing() throws {
        let capture = try writeAndReadRoundTripCapture(linkType: .ethernet)
        try withForwardingTopology { topology in
            // 13 packets 1 ms apart: 12 ms of gaps.
            let report = try topology.makeInjector().inject(capture, pacing: .timestamps())
            #expect(report.seconds >= 0.012)
            #expect(try topology.routerConntrack().count == RoundTripTraffic.expectedEntries.count)
        }
    }
}
