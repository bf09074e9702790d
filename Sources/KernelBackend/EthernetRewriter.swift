import Packets

/// Turns a captured frame of any supported link type into the Ethernet II frame to inject:
/// destination and source MAC replaced, VLAN tags dropped, the EtherType of the network layer,
/// then the network layer and everything after it unchanged (`LinkLayerInfo.decode`).
///
/// Linux cooked (SLL, SLL2), raw IP, IPv4/IPv6-only and loopback captures are converted the
/// same way. Frames whose network layer is not IPv4 or IPv6 (ARP, LLDP, 802.3 lengths) are not
/// rewritten: the router must not learn neighbours from a capture.
public struct EthernetRewriter: Sendable {
    public var destination: MACAddress
    public var source: MACAddress

    public init(destination: MACAddress, source: MACAddress) {
        self.destination = destination
        self.source = source
    }

    /// Why a frame was not rewritten.
    public enum Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        /// The link layer could not be decoded.
        case undecodable(DissectionError)
        /// The network layer is not IP.
        case notIP(etherType: UInt16)
        /// Nothing follows the link layer.
        case empty

        public var description: String {
            switch self {
            case .undecodable(let error): "link layer not decodable: \(error)"
            case .notIP(let etherType):
                "EtherType 0x\(String(etherType, radix: 16, uppercase: false)) is not IPv4 or IPv6"
            case .empty: "no network layer after the link-layer header"
            }
        }
    }

    /// The rewritten Ethernet frame.
    ///
    /// - Throws: `Refusal` when the frame cannot or should not be injected.
    public func rewrite(_ frame: UnsafeRawBufferPointer, linkType: LinkType) throws(Refusal) -> [UInt8] {
        let info: LinkLayerInfo
        do {
            info = try LinkLayerInfo.decode(frame, linkType: linkType)
        } catch {
            throw .undecodable(error)
        }
        guard info.etherType == EtherType.ipv4 || info.etherType == EtherType.ipv6 else {
            throw .notIP(etherType: info.etherType)
        }
        guard info.networkOffset < frame.count else { throw .empty }
        var out = [UInt8]()
        out.reserveCapacity(14 + frame.count - info.networkOffset)
        out.append(contentsOf: destination.array)
        out.append(contentsOf: source.array)
        out.append(UInt8(info.etherType >> 8))
        out.append(UInt8(info.etherType & 0xFF))
        out.append(contentsOf: frame[info.networkOffset...])
        return out
    }

    /// The rewritten Ethernet frame of a byte array.
    public func rewrite(_ frame: [UInt8], linkType: LinkType) throws(Refusal) -> [UInt8] {
        var refusal: Refusal?
        let rewritten = frame.withUnsafeBytes { buffer -> [UInt8] in
            do throws(Refusal) {
                return try rewrite(buffer, linkType: linkType)
            } catch {
                refusal = error
                return []
            }
        }
        if let refusal { throw refusal }
        return rewritten
    }
}
