/// EtherType values the dissector knows.
public enum EtherType {
    public static let ipv4: UInt16 = 0x0800
    public static let arp: UInt16 = 0x0806
    public static let vlan: UInt16 = 0x8100
    public static let ipv6: UInt16 = 0x86DD
    public static let qinq: UInt16 = 0x88A8
    /// The pre-standard 802.1ad tag some switches still send.
    public static let qinqLegacy: UInt16 = 0x9100
}

/// One 802.1Q or 802.1ad tag.
public struct VLANTag: Hashable, Sendable {
    /// The tag protocol identifier: 0x8100 (802.1Q), 0x88A8 (802.1ad) or 0x9100.
    public var tpid: UInt16
    /// Priority code point (3 bits).
    public var priority: UInt8
    /// Drop eligible indicator.
    public var dropEligible: Bool
    /// The VLAN identifier (12 bits).
    public var id: UInt16

    public init(tpid: UInt16 = EtherType.vlan, priority: UInt8 = 0, dropEligible: Bool = false, id: UInt16) {
        self.tpid = tpid
        self.priority = priority
        self.dropEligible = dropEligible
        self.id = id
    }
}

/// The link-layer header of a frame.
public enum LinkHeader: Hashable, Sendable {
    case ethernet(destination: MACAddress, source: MACAddress)
    /// Linux cooked v1: packet type (0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing),
    /// ARPHRD type and the link-layer source address.
    case linuxSLL(packetType: UInt16, hardwareType: UInt16, address: [UInt8])
    /// Linux cooked v2, which also records the interface index.
    case linuxSLL2(packetType: UInt8, hardwareType: UInt16, interfaceIndex: UInt32, address: [UInt8])
    /// BSD/OpenBSD loopback with its address family.
    case loopback(family: UInt32)
    /// No link-layer header (raw IP captures).
    case none
}

/// What a frame's link layer says about the network layer behind it.
public struct LinkLayerInfo: Hashable, Sendable {
    public var header: LinkHeader
    public var vlanTags: [VLANTag]
    /// The EtherType of the network layer (0x0800 or 0x86DD for IP), or for 802.3 frames the length.
    public var etherType: UInt16
    /// Where the network-layer header starts in the frame.
    public var networkOffset: Int
}

extension LinkLayerInfo {
    /// Decodes the link layer of `frame` for `linkType`, following VLAN tags.
    ///
    /// - Throws: `DissectionError` for a frame too short for its headers or an unknown link type.
    public static func decode(_ frame: UnsafeRawBufferPointer, linkType: LinkType) throws(DissectionError) -> LinkLayerInfo {
        let n = frame.count
        switch linkType {
        case .ethernet:
            guard n >= 14 else { throw DissectionError(.link, at: 0, "Ethernet header needs 14 bytes, frame has \(n)") }
            let header = LinkHeader.ethernet(
                destination: MACAddress(frame[0], frame[1], frame[2], frame[3], frame[4], frame[5]),
                source: MACAddress(frame[6], frame[7], frame[8], frame[9], frame[10], frame[11]))
            return try followTags(frame, header: header, etherTypeOffset: 12)
        case .linuxSLL:
            guard n >= 16 else { throw DissectionError(.link, at: 0, "Linux cooked header needs 16 bytes, frame has \(n)") }
            let addressLength = min(Int(frame.u16(4)), 8)
            let header = LinkHeader.linuxSLL(
                packetType: frame.u16(0), hardwareType: frame.u16(2),
                address: Array(frame[6..<(6 + addressLength)]))
            return try followTags(frame, header: header, etherTypeOffset: 14)
        case .linuxSLL2:
            guard n >= 20 else { throw DissectionError(.link, at: 0, "Linux cooked v2 header needs 20 bytes, frame has \(n)") }
            let addressLength = min(Int(frame.u8(11)), 8)
            let header = LinkHeader.linuxSLL2(
                packetType: frame.u8(10), hardwareType: frame.u16(8), interfaceIndex: frame.u32(4),
                address: Array(frame[12..<(12 + addressLength)]))
            // SLL2 puts the protocol first; tags, if any, follow the 20-byte header.
            let info = LinkLayerInfo(header: header, vlanTags: [], etherType: frame.u16(0), networkOffset: 20)
            return try followTags(frame, startingWith: info)
        case .null, .loop:
            guard n >= 4 else { throw DissectionError(.link, at: 0, "loopback header needs 4 bytes, frame has \(n)") }
            let raw = linkType == .loop ? frame.u32(0) : frame.u32LE(0)
            // The family is in the capturing host's byte order: accept either.
            let family = raw > 0xFFFF ? raw.byteSwapped : raw
            let etherType: UInt16
            switch family {
            case 2: etherType = EtherType.ipv4
            case 10, 24, 28, 30: etherType = EtherType.ipv6  // Linux, NetBSD/OpenBSD, FreeBSD, Darwin
            default: throw DissectionError(.link, at: 0, "loopback address family \(family) is not IPv4 or IPv6")
            }
            return LinkLayerInfo(header: .loopback(family: family), vlanTags: [], etherType: etherType, networkOffset: 4)
        case .raw:
            guard n >= 1 else { throw DissectionError(.link, at: 0, "raw IP frame is empty") }
            switch frame.u8(0) >> 4 {
            case 4: return LinkLayerInfo(header: .none, vlanTags: [], etherType: EtherType.ipv4, networkOffset: 0)
            case 6: return LinkLayerInfo(header: .none, vlanTags: [], etherType: EtherType.ipv6, networkOffset: 0)
            case let v: throw DissectionError(.link, at: 0, "raw IP frame starts with IP version \(v)")
            }
        case .ipv4:
            return LinkLayerInfo(header: .none, vlanTags: [], etherType: EtherType.ipv4, networkOffset: 0)
        case .ipv6:
            return LinkLayerInfo(header: .none, vlanTags: [], etherType: EtherType.ipv6, networkOffset: 0)
        default:
            throw DissectionError(.link, at: 0, "link type \(linkType.rawValue) is not supported")
        }
    }

    private static func followTags(
        _ frame: UnsafeRawBufferPointer, header: LinkHeader, etherTypeOffset: Int
    ) throws(DissectionError) -> LinkLayerInfo {
        let info = LinkLayerInfo(
            header: header, vlanTags: [], etherType: frame.u16(etherTypeOffset), networkOffset: etherTypeOffset + 2)
        return try followTags(frame, startingWith: info)
    }

    private static func followTags(
        _ frame: UnsafeRawBufferPointer, startingWith start: LinkLayerInfo
    ) throws(DissectionError) -> LinkLayerInfo {
        var info = start
        while info.etherType == EtherType.vlan || info.etherType == EtherType.qinq || info.etherType == EtherType.qinqLegacy {
            let offset = info.networkOffset
            guard frame.count >= offset + 4 else {
                throw DissectionError(.vlan, at: offset - 2, "VLAN tag needs 4 bytes, \(frame.count - offset + 2) left")
            }
            guard info.vlanTags.count < 8 else {
                throw DissectionError(.vlan, at: offset - 2, "more than 8 stacked VLAN tags")
            }
            let tci = frame.u16(offset)
            info.vlanTags.append(
                VLANTag(tpid: info.etherType, priority: UInt8(tci >> 13), dropEligible: tci & 0x1000 != 0, id: tci & 0x0FFF))
            info.etherType = frame.u16(offset + 2)
            info.networkOffset = offset + 4
        }
        return info
    }
}
