/// Window tracking data of one side of a TCP connection (`struct ip_ct_tcp_state`).
public struct TCPWindowState: Hashable, Sendable {
    /// max of seq + len
    public var end: UInt32 = 0
    /// max of ack + max(win, 1)
    public var maxEnd: UInt32 = 0
    /// max(win)
    public var maxWindow: UInt32 = 0
    /// max of ack
    public var maxAck: UInt32 = 0
    /// The window scale factor.
    public var scale: UInt8 = 0
    /// `IP_CT_TCP_FLAG_*`.
    public var flags: TCPWindowFlags = []

    public init() {}

    mutating func reset() {
        end = 0
        maxEnd = 0
        maxWindow = 0
        maxAck = 0
        scale = 0
        flags = flags.intersection(.beLiberal)
    }
}

/// `IP_CT_TCP_FLAG_*` bits of one side, and the `last_flags`-only bits.
public struct TCPWindowFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let windowScale = TCPWindowFlags(rawValue: 0x01)
    public static let sackPermitted = TCPWindowFlags(rawValue: 0x02)
    public static let closeInit = TCPWindowFlags(rawValue: 0x04)
    public static let beLiberal = TCPWindowFlags(rawValue: 0x08)
    public static let dataUnacknowledged = TCPWindowFlags(rawValue: 0x10)
    public static let maxAckSet = TCPWindowFlags(rawValue: 0x20)
    /// `IP_CT_EXP_CHALLENGE_ACK` (kept in `last_flags`).
    public static let challengeAck = TCPWindowFlags(rawValue: 0x40)
    /// `IP_CT_TCP_SIMULTANEOUS_OPEN` (kept in `last_flags`).
    public static let simultaneousOpen = TCPWindowFlags(rawValue: 0x80)
}

/// The kernel's index of a segment's flags into the state table (`enum tcp_bit_set`).
public enum TCPFlagIndex: UInt8, Hashable, Sendable {
    case syn = 0
    case synAck = 1
    case fin = 2
    case ack = 3
    case rst = 4
    case none = 5
}

/// The TCP part of an entry (`struct ip_ct_tcp`).
public struct TCPConntrackInfo: Hashable, Sendable {
    /// `seen[0]` (original) and `seen[1]` (reply).
    public var original = TCPWindowState()
    public var reply = TCPWindowState()
    public var state: TCPConntrackState = .none
    /// Direction of the last packet (0 original, 1 reply).
    public var lastDirection: UInt8 = 0
    /// Retransmission counter.
    public var retransmissions: UInt8 = 0
    public var lastIndex: TCPFlagIndex = .none
    public var lastSequence: UInt32 = 0
    public var lastAck: UInt32 = 0
    public var lastEnd: UInt32 = 0
    public var lastWindow: UInt16 = 0
    public var lastWindowScale: UInt8 = 0
    public var lastFlags: TCPWindowFlags = []

    public init() {}

    @inline(__always)
    subscript(side direction: UInt8) -> TCPWindowState {
        get { direction == 0 ? original : reply }
        set {
            if direction == 0 { original = newValue } else { reply = newValue }
        }
    }
}
