/// The SCTP state of a conntrack entry (`enum sctp_conntrack`, `ATTR_SCTP_STATE`), with the
/// names `conntrack -L` prints.
public enum SCTPConntrackState: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case closed = 1
    case cookieWait = 2
    case cookieEchoed = 3
    case established = 4
    case shutdownSent = 5
    case shutdownReceived = 6
    case shutdownAckSent = 7
    case heartbeatSent = 8

    /// The name as conntrack-tools / libnetfilter_conntrack print it.
    public var name: String {
        switch self {
        case .none: "NONE"
        case .closed: "CLOSED"
        case .cookieWait: "COOKIE_WAIT"
        case .cookieEchoed: "COOKIE_ECHOED"
        case .established: "ESTABLISHED"
        case .shutdownSent: "SHUTDOWN_SENT"
        case .shutdownReceived: "SHUTDOWN_RECD"
        case .shutdownAckSent: "SHUTDOWN_ACK_SENT"
        case .heartbeatSent: "HEARTBEAT_SENT"
        }
    }

    public var description: String { name }
}

/// The SCTP part of an entry (`struct ip_ct_sctp`): state, the verification tag each direction
/// must carry, which side has sent an INIT, and the heartbeat re-tagging memory.
public struct SCTPConntrackInfo: Hashable, Sendable {
    /// `vtag[IP_CT_DIR_ORIGINAL]`, `vtag[IP_CT_DIR_REPLY]` (as read from the wire, big-endian).
    public var originalTag: UInt32 = 0
    public var replyTag: UInt32 = 0
    public var state: SCTPConntrackState = .none
    /// `init[0]`, `init[1]`.
    public var originalInit = false
    public var replyInit = false
    /// `SCTP_FLAG_HEARTBEAT_VTAG_FAILED` and `last_dir`.
    public var heartbeatTagFailed = false
    public var lastDirection: UInt8 = 0

    public init() {}

    /// The info read from the TCP part's storage (`ConntrackEntry.sctp`): the tags in the two
    /// `end` words, the state in `retransmissions`, the flags in `lastWindowScale`.
    init(unionOf tcp: TCPConntrackInfo) {
        originalTag = tcp.original.end
        replyTag = tcp.reply.end
        state = SCTPConntrackState(rawValue: tcp.retransmissions) ?? .none
        let bits = tcp.lastWindowScale
        originalInit = bits & 1 != 0
        replyInit = bits & 2 != 0
        heartbeatTagFailed = bits & 4 != 0
        lastDirection = bits >> 3 & 1
    }

    /// Writes the info into the TCP part's storage (see `init(unionOf:)`).
    func store(into tcp: inout TCPConntrackInfo) {
        tcp.original.end = originalTag
        tcp.reply.end = replyTag
        tcp.retransmissions = state.rawValue
        var bits: UInt8 = originalInit ? 1 : 0
        if replyInit { bits |= 2 }
        if heartbeatTagFailed { bits |= 4 }
        bits |= (lastDirection & 1) << 3
        tcp.lastWindowScale = bits
    }

    @inline(__always)
    subscript(tag direction: UInt8) -> UInt32 {
        get { direction == 0 ? originalTag : replyTag }
        set {
            if direction == 0 { originalTag = newValue } else { replyTag = newValue }
        }
    }

    @inline(__always)
    subscript(initSeen direction: UInt8) -> Bool {
        get { direction == 0 ? originalInit : replyInit }
        set {
            if direction == 0 { originalInit = newValue } else { replyInit = newValue }
        }
    }
}
