import Packets

/// One direction of a connection (`struct nf_conntrack_tuple`): layer-3 family, addresses,
/// the layer-4 protocol and its identifying fields.
///
/// Addresses are held as two 64-bit words each (IPv4 in the low 32 bits of `sourceLow` /
/// `destinationLow`), so that hashing and comparing are a few word operations. The layer-4 part
/// follows the kernel's union: ports for TCP/UDP/UDP-Lite; for ICMP and ICMPv6 the echo id in
/// `sourcePort` and type/code in `destinationPort` (type in the high byte).
public struct ConntrackTuple: Hashable, Sendable {
    public var sourceHigh: UInt64
    public var sourceLow: UInt64
    public var destinationHigh: UInt64
    public var destinationLow: UInt64
    /// Source port, or the ICMP identifier.
    public var sourcePort: UInt16
    /// Destination port, or the ICMP type (high byte) and code (low byte).
    public var destinationPort: UInt16
    /// The AF_* family: 2 (IPv4) or 10 (IPv6).
    public var family: UInt8
    public var protocolNumber: UInt8

    @inlinable
    public init(
        sourceHigh: UInt64, sourceLow: UInt64, destinationHigh: UInt64, destinationLow: UInt64, sourcePort: UInt16,
        destinationPort: UInt16, family: UInt8, protocolNumber: UInt8
    ) {
        self.sourceHigh = sourceHigh
        self.sourceLow = sourceLow
        self.destinationHigh = destinationHigh
        self.destinationLow = destinationLow
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.family = family
        self.protocolNumber = protocolNumber
    }

    /// A tuple from addresses and ports (or ICMP id and type/code).
    public init(source: IPAddress, destination: IPAddress, protocolNumber: UInt8, sourcePort: UInt16 = 0, destinationPort: UInt16 = 0) {
        let (sh, sl, f) = Self.words(source)
        let (dh, dl, _) = Self.words(destination)
        self.init(
            sourceHigh: sh, sourceLow: sl, destinationHigh: dh, destinationLow: dl, sourcePort: sourcePort,
            destinationPort: destinationPort, family: f, protocolNumber: protocolNumber)
    }

    /// An ICMP or ICMPv6 tuple.
    public static func icmp(source: IPAddress, destination: IPAddress, type: UInt8, code: UInt8, id: UInt16) -> ConntrackTuple {
        ConntrackTuple(
            source: source, destination: destination, protocolNumber: source.isIPv6 ? 58 : 1, sourcePort: id,
            destinationPort: UInt16(type) << 8 | UInt16(code))
    }

    static func words(_ address: IPAddress) -> (UInt64, UInt64, UInt8) {
        switch address {
        case .v4(let a): (0, UInt64(a.value), 2)
        case .v6(let a): (a.high, a.low, 10)
        }
    }

    public var isIPv6: Bool { family == 10 }

    public var source: IPAddress {
        isIPv6 ? .v6(IPv6Address(high: sourceHigh, low: sourceLow)) : .v4(IPv4Address(UInt32(truncatingIfNeeded: sourceLow)))
    }

    public var destination: IPAddress {
        isIPv6
            ? .v6(IPv6Address(high: destinationHigh, low: destinationLow))
            : .v4(IPv4Address(UInt32(truncatingIfNeeded: destinationLow)))
    }

    /// Whether the layer-4 part holds ICMP fields.
    public var isICMP: Bool { protocolNumber == 1 || protocolNumber == 58 }

    /// Whether the protocol's tuple carries ports (TCP, UDP, UDP-Lite, SCTP, DCCP).
    public var hasPorts: Bool {
        switch protocolNumber {
        case 6, 17, 33, 132, 136: true
        default: false
        }
    }

    public var icmpType: UInt8 { UInt8(destinationPort >> 8) }
    public var icmpCode: UInt8 { UInt8(destinationPort & 0xFF) }
    public var icmpID: UInt16 { sourcePort }

    /// The tuple with source and destination swapped (ports swapped; for ICMP the caller maps the
    /// type, see `ICMPTracker.invert`).
    @inlinable
    public var swapped: ConntrackTuple {
        ConntrackTuple(
            sourceHigh: destinationHigh, sourceLow: destinationLow, destinationHigh: sourceHigh,
            destinationLow: sourceLow, sourcePort: destinationPort, destinationPort: sourcePort, family: family,
            protocolNumber: protocolNumber)
    }

    /// The 32-bit hash the table files this tuple under within `zone` (a fixed-seed mix, so runs
    /// are reproducible).
    @inlinable
    func hash(zone: UInt16) -> UInt32 {
        let k: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h = (sourceLow ^ (destinationLow &* 0xC2B2_AE3D_27D4_EB4F)) &* k
        h ^= (sourceHigh &+ destinationHigh &* 31) &* 0x1656_67B1_9E37_79F9
        let ports = UInt64(sourcePort) << 48 | UInt64(destinationPort) << 32 | UInt64(family) << 24
            | UInt64(protocolNumber) << 16 | UInt64(zone)
        h = (h ^ ports ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        h = h &* 0x94D0_49BB_1331_11EB
        return UInt32(truncatingIfNeeded: h >> 32)
    }
}

extension ConntrackTuple: CustomStringConvertible {
    /// The tuple as `conntrack -L` prints it: `src= dst=` then `sport= dport=` or
    /// `type= code= id=`.
    public var description: String {
        var text = "src=\(source) dst=\(destination)"
        if isICMP {
            text += " type=\(icmpType) code=\(icmpCode) id=\(icmpID)"
        } else if hasPorts {
            text += " sport=\(sourcePort) dport=\(destinationPort)"
        } else if protocolNumber == 47 {
            text += " srckey=0x\(String(sourcePort, radix: 16)) dstkey=0x\(String(destinationPort, radix: 16))"
        }
        return text
    }
}
