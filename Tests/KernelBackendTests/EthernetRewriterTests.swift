import KernelBackend
import Packets
import Testing

@Suite("Rewriting captured frames for injection")
struct EthernetRewriterTests {
    static let rewriter = EthernetRewriter(
        destination: MACAddress(0x02, 0x11, 0x22, 0x33, 0x44, 0x55), source: MACAddress(0x02, 0x66, 0x77, 0x88, 0x99, 0xAA))
    static let packet4 = HandBuiltFrames.udp(RoundTripTraffic.client4, 1000, RoundTripTraffic.server4, 53, payload: [1, 2, 3])
    static let packet6 = HandBuiltFrames.udp(RoundTripTraffic.client6, 1000, RoundTripTraffic.server6, 53, payload: [1, 2, 3])

    static func expected(_ packet: [UInt8]) -> [UInt8] {
        rewriter.destination.array + rewriter.source.array + (packet[0] >> 4 == 6 ? [0x86, 0xDD] : [0x08, 0x00]) + packet
    }

    @Test("every link type becomes the same Ethernet frame", arguments: [LinkType.ethernet, .linuxSLL, .linuxSLL2, .null, .raw])
    func linkTypes(linkType: LinkType) throws {
        for packet in [Self.packet4, Self.packet6] {
            let frame = HandBuiltFrames.frame(packet, linkType: linkType)
            #expect(try Self.rewriter.rewrite(frame, linkType: linkType) == Self.expected(packet))
        }
    }

    @Test("VLAN tags are dropped")
    func vlan() throws {
        let frame = HandBuiltFrames.frame(Self.packet4, linkType: .ethernet, vlan: 42)
        #expect(try Self.rewriter.rewrite(frame, linkType: .ethernet) == Self.expected(Self.packet4))
    }

    @Test("ARP and undecodable frames are refused")
    func refusals() {
        let arp = [UInt8](repeating: 0xFF, count: 6) + [UInt8](repeating: 1, count: 6) + [0x08, 0x06] + [UInt8](repeating: 0, count: 28)
        #expect(throws: EthernetRewriter.Refusal.notIP(etherType: 0x0806)) { try Self.rewriter.rewrite(arp, linkType: .ethernet) }
        #expect(throws: EthernetRewriter.Refusal.self) { try Self.rewriter.rewrite([1, 2, 3], linkType: .ethernet) }
    }
}
