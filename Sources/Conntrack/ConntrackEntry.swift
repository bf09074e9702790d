/// One connection of the table (`struct nf_conn`, the parts natively tracked traffic uses).
///
/// `timeout` is absolute, in jiffies of the virtual clock, as the kernel keeps it once the entry
/// is confirmed. The entry is a plain value with no references, so the table stores it inline.
public struct ConntrackEntry: Hashable, Sendable {
    public var original: ConntrackTuple
    public var reply: ConntrackTuple
    public var status: ConntrackStatus
    public var mark: UInt32 = 0
    public var zone: UInt16 = 0
    /// Absolute expiry time in jiffies.
    public var timeout: Int64
    /// TCP tracking state (only for protocol 6).
    public var tcp = TCPConntrackInfo()
    /// UDP: the jiffies after which a replied flow counts as a stream (`proto.udp.stream_ts`).
    public var udpStreamTimestamp: Int64 = 0
    /// SCTP tracking state (only for protocol 132). It lives in the TCP part's storage, as the
    /// kernel's `union nf_conntrack_proto` puts `proto.sctp` over `proto.tcp`, so entries stay
    /// the same size and TCP's path is untouched.
    public var sctp: SCTPConntrackInfo {
        get { SCTPConntrackInfo(unionOf: tcp) }
        set { newValue.store(into: &tcp) }
    }

    public init(original: ConntrackTuple, reply: ConntrackTuple, status: ConntrackStatus = [], timeout: Int64 = 0) {
        self.original = original
        self.reply = reply
        self.status = status
        self.timeout = timeout
    }

    public var protocolNumber: UInt8 { original.protocolNumber }
    public var isIPv6: Bool { original.isIPv6 }

    /// The TCP state, nil for other protocols.
    public var tcpState: TCPConntrackState? { original.protocolNumber == 6 ? tcp.state : nil }

    /// The SCTP state, nil for other protocols.
    public var sctpState: SCTPConntrackState? { original.protocolNumber == 132 ? sctp.state : nil }

    /// The protocol state `conntrack -L` prints after the timeout (TCP and SCTP), nil for others.
    public var stateName: String? { tcpState?.name ?? sctpState?.name }

    /// Whole seconds left at `now` (jiffies), as `conntrack -L` prints them (0 once expired).
    public func remainingSeconds(now: Int64, hz: Int64) -> Int64 {
        max(timeout - now, 0) / hz
    }

    /// The tuple of a direction (0 original, 1 reply).
    public func tuple(_ direction: UInt8) -> ConntrackTuple { direction == 0 ? original : reply }
}
