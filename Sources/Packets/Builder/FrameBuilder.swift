/// Wraps IP packets in link-layer headers, and splits them into fragments.
public enum FrameBuilder {
    /// The EtherType for an IP packet, from its version nibble.
    static func etherType(of packet: [UInt8]) -> UInt16 {
        packet.first.map { $0 >> 4 == 6 } == true ? EtherType.ipv6 : EtherType.ipv4
    }

    /// An Ethernet II frame, with optional VLAN tags (outermost first).
    public static func ethernet(
        _ packet: [UInt8], source: MACAddress, destination: MACAddress, vlanTags: [VLANTag] = [],
        etherType: UInt16? = nil
    ) -> [UInt8] {
        var frame = destination.array + source.array
        frame.reserveCapacity(14 + 4 * vlanTags.count + packet.count)
        for tag in vlanTags {
            frame.append(be16: tag.tpid)
            frame.append(be16: UInt16(tag.priority & 7) << 13 | (tag.dropEligible ? 0x1000 : 0) | tag.id & 0x0FFF)
        }
        frame.append(be16: etherType ?? Self.etherType(of: packet))
        return frame + packet
    }

    /// A Linux cooked (SLL) frame as captured on the "any" device.
    public static func linuxSLL(_ packet: [UInt8], packetType: UInt16 = 0, source: MACAddress) -> [UInt8] {
        var frame: [UInt8] = []
        frame.append(be16: packetType)
        frame.append(be16: 1)  // ARPHRD_ETHER
        frame.append(be16: 6)
        frame += source.array + [0, 0]
        frame.append(be16: etherType(of: packet))
        return frame + packet
    }

    /// A Linux cooked v2 (SLL2) frame.
    public static func linuxSLL2(
        _ packet: [UInt8], packetType: UInt8 = 0, interfaceIndex: UInt32 = 2, source: MACAddress
    ) -> [UInt8] {
        var frame: [UInt8] = []
        frame.append(be16: etherType(of: packet))
        frame.append(be16: 0)
        frame.append(be32: interfaceIndex)
        frame.append(be16: 1)
        frame.append(packetType)
        frame.append(6)
        frame += source.array + [0, 0]
        return frame + packet
    }

    /// A BSD loopback (DLT_NULL) frame, address family in little-endian order as written by a
    /// little-endian host; `networkOrder` gives the OpenBSD DLT_LOOP form. IPv6 uses the BSD
    /// family number 24 that readers of DLT_NULL expect.
    public static func loopback(_ packet: [UInt8], networkOrder: Bool = false) -> [UInt8] {
        let family: UInt32 = etherType(of: packet) == EtherType.ipv6 ? 24 : 2
        var frame: [UInt8] = []
        if networkOrder {
            frame.append(be32: family)
        } else {
            frame += [UInt8(family & 0xFF), UInt8(family >> 8 & 0xFF), 0, 0]
        }
        return frame + packet
    }

    /// Splits an IPv4 packet into fragments whose data parts hold at most `fragmentSize` bytes
    /// (rounded down to a multiple of 8). Options are copied into every fragment.
    public static func fragmentIPv4(_ packet: [UInt8], fragmentSize: Int) -> [[UInt8]] {
        let headerLength = Int(packet[0] & 0x0F) * 4
        let data = Array(packet[headerLength...])
        let step = max(8, fragmentSize / 8 * 8)
        var fragments: [[UInt8]] = []
        var offset = 0
        while offset < data.count {
            let end = min(offset + step, data.count)
            var fragment = Array(packet[0..<headerLength])
            let total = headerLength + end - offset
            fragment[2] = UInt8(total >> 8)
            fragment[3] = UInt8(total & 0xFF)
            let flags: UInt16 = end < data.count ? 0x2000 : 0
            let field = flags | UInt16(offset / 8)
            fragment[6] = UInt8(field >> 8)
            fragment[7] = UInt8(field & 0xFF)
            IPPacketBuilder.setIPv4Checksum(&fragment)
            fragments.append(fragment + data[offset..<end])
            offset = end
        }
        return fragments
    }

    /// Splits an IPv6 packet (with no extension headers) into fragments carrying a fragment header
    /// and at most `fragmentSize` bytes of data each (rounded down to a multiple of 8).
    public static func fragmentIPv6(_ packet: [UInt8], fragmentSize: Int, identification: UInt32) -> [[UInt8]] {
        let nextHeader = packet[6]
        let data = Array(packet[40...])
        let step = max(8, fragmentSize / 8 * 8)
        var fragments: [[UInt8]] = []
        var offset = 0
        while offset < data.count {
            let end = min(offset + step, data.count)
            var fragment = Array(packet[0..<40])
            let payload = 8 + end - offset
            fragment[4] = UInt8(payload >> 8)
            fragment[5] = UInt8(payload & 0xFF)
            fragment[6] = 44
            fragment += [nextHeader, 0]
            fragment.append(be16: UInt16(offset / 8) << 3 | (end < data.count ? 1 : 0))
            fragment.append(be32: identification)
            fragments.append(fragment + data[offset..<end])
            offset = end
        }
        return fragments
    }
}
