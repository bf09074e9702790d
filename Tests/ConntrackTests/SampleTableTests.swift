import Conntrack
import Packets
import SampleCaptures
import Testing

/// The model against what the live kernel built from every sample capture of `Pcaps/`
/// (`SampleKernelTables`, recorded and re-checked by KernelBackendTests).
@Suite("The model reproduces the kernel's table for every sample")
struct SampleTableTests {
    @Test(arguments: SampleCatalog.all.map(\.name))
    func sample(_ name: String) throws {
        let expected = try #require(SampleKernelTables.expected[name])
        let capture = try Capture(contentsOf: packageRoot + "/Pcaps/" + name)
        let model = ConntrackModel()
        model.run(capture)
        let lines = model.entries.map { $0.conntrackListLine(now: model.now, hz: model.hz, extended: false) }
        let actual = lines.map(SampleKernelTables.split).sorted { $0.shape < $1.shape }
        let wanted = expected.map(SampleKernelTables.split).sorted { $0.shape < $1.shape }
        #expect(actual.map(\.shape) == wanted.map(\.shape), "model table:\n\(lines.joined(separator: "\n"))")

        // The timeout at "now" (the last packet) is exact: the state's full timeout minus the
        // jiffies since the flow's last packet, in whole seconds.
        let lastPacketJiffies = model.jiffies(capture.packets.last!.timestamp)
        for (entry, line) in zip(model.entries, lines) {
            let (shape, full) = SampleKernelTables.split(line)
            guard let want = wanted.first(where: { $0.shape == shape }) else { continue }
            let last = try #require(lastPacket(of: entry, in: capture), "no packet for \(shape)")
            let elapsed = lastPacketJiffies - model.jiffies(last)
            let exact = (Int64(want.timeout) * model.hz - elapsed) / model.hz
            #expect(Int64(full) == exact, "\(shape): timeout \(full), expected \(exact)")
            #expect((want.timeout - 3...want.timeout).contains(full))
        }
    }

    /// The timestamp of the last packet of the entry's flow (either direction; fragments by
    /// addresses), found with the dissector rather than the model.
    func lastPacket(of entry: ConntrackEntry, in capture: Capture) -> Timestamp? {
        let dissector = Dissector(linkType: capture.linkType)
        var last: Timestamp?
        for packet in capture.packets {
            let d = dissector.dissect(packet)
            guard d.error == nil, let (src, dst) = d.addresses, d.protocolNumber == entry.protocolNumber else { continue }
            let o = entry.original
            let forward = src == o.source && dst == o.destination
            let backward = src == o.destination && dst == o.source
            guard forward || backward else { continue }
            if d.fragment != nil {
                last = packet.timestamp
                continue
            }
            switch d.transport {
            case .tcp(let h):
                let ports = forward ? (h.sourcePort, h.destinationPort) : (h.destinationPort, h.sourcePort)
                if ports == (o.sourcePort, o.destinationPort) { last = packet.timestamp }
            case .udp(let h):
                let ports = forward ? (h.sourcePort, h.destinationPort) : (h.destinationPort, h.sourcePort)
                if ports == (o.sourcePort, o.destinationPort) { last = packet.timestamp }
            case .icmp(let h), .icmpv6(let h):
                if h.embedded == nil, h.identifier == o.icmpID { last = packet.timestamp }
            case .other(let number, let offset) where o.hasPorts && packet.data.count >= offset + 4:
                // SCTP and UDP-Lite: the ports are the first four bytes, as for UDP.
                _ = number
                let bytes = packet.data
                let source = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
                let destination = UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3])
                let ports = forward ? (source, destination) : (destination, source)
                if ports == (o.sourcePort, o.destinationPort) { last = packet.timestamp }
            case .other where entry.protocolNumber == 47:
                last = packet.timestamp
            default:
                break
            }
        }
        return last
    }
}
