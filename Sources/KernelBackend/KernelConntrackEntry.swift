import Conntrack
import Packets

/// One entry of a live kernel conntrack table, as a libnetfilter_conntrack dump delivers it.
public struct KernelConntrackEntry: Hashable, Sendable {
    /// The layer-3 family of the entry.
    public enum Family: String, Hashable, Sendable {
        case ipv4
        case ipv6

        /// The AF_* number (2 or 10).
        public var number: UInt8 { self == .ipv4 ? 2 : 10 }
    }

    /// The layer-4 part of a tuple.
    public enum Layer4: Hashable, Sendable {
        /// TCP, UDP, UDP-Lite, SCTP, DCCP.
        case ports(source: UInt16, destination: UInt16)
        /// ICMP and ICMPv6: type and code of the tuple's destination part, id of its source part.
        case icmp(type: UInt8, code: UInt8, id: UInt16)
        /// Protocols without ports.
        case none
    }

    /// One direction's tuple.
    public struct Tuple: Hashable, Sendable, CustomStringConvertible {
        public var source: IPAddress
        public var destination: IPAddress
        public var layer4: Layer4

        public init(source: IPAddress, destination: IPAddress, layer4: Layer4) {
            self.source = source
            self.destination = destination
            self.layer4 = layer4
        }

        public var description: String {
            var text = "src=\(source) dst=\(destination)"
            switch layer4 {
            case .ports(let s, let d): text += " sport=\(s) dport=\(d)"
            case .icmp(let t, let c, let i): text += " type=\(t) code=\(c) id=\(i)"
            case .none: break
            }
            return text
        }
    }

    /// Packet and byte counters of one direction (only with `nf_conntrack_acct=1`).
    public struct Counters: Hashable, Sendable {
        public var packets: UInt64
        public var bytes: UInt64

        public init(packets: UInt64, bytes: UInt64) {
            self.packets = packets
            self.bytes = bytes
        }
    }

    public var family: Family
    /// The IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6...).
    public var protocolNumber: UInt8
    public var original: Tuple
    public var reply: Tuple
    /// The TCP state; nil for other protocols.
    public var tcpState: TCPConntrackState?
    /// The SCTP state; nil for other protocols.
    public var sctpState: SCTPConntrackState?
    public var status: ConntrackStatus
    /// Remaining lifetime in whole seconds.
    public var timeout: UInt32
    public var mark: UInt32
    /// The zone valid for both directions; 0 when the kernel sent none.
    public var zone: UInt16
    /// The reference count (`use=`).
    public var use: UInt32
    /// The conntrack id (`-o id`).
    public var id: UInt32
    /// A zone for the original direction only (`zone-orig=`).
    public var originalZone: UInt16?
    /// A zone for the reply direction only (`zone-reply=`).
    public var replyZone: UInt16?
    public var originalCounters: Counters?
    public var replyCounters: Counters?
    /// Start time in nanoseconds since the epoch (with `nf_conntrack_timestamp=1`).
    public var timestampStart: UInt64?
    /// Stop time in nanoseconds since the epoch (destroyed entries).
    public var timestampStop: UInt64?
    public var secmark: UInt32?
    public var helper: String?

    public init(
        family: Family, protocolNumber: UInt8, original: Tuple, reply: Tuple, tcpState: TCPConntrackState? = nil,
        status: ConntrackStatus, timeout: UInt32, mark: UInt32 = 0, zone: UInt16 = 0, use: UInt32 = 1,
        id: UInt32 = 0
    ) {
        self.family = family
        self.protocolNumber = protocolNumber
        self.original = original
        self.reply = reply
        self.tcpState = tcpState
        self.status = status
        self.timeout = timeout
        self.mark = mark
        self.zone = zone
        self.use = use
        self.id = id
    }

    /// The protocol name `conntrack` prints (`tcp`, `udp`, `icmp`, `icmpv6`, ...), or `unknown`.
    public var protocolName: String { ConntrackListFormat.protocolName(protocolNumber) }
}
