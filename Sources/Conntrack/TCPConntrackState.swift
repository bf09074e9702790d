/// The TCP state of a conntrack entry (`ATTR_TCP_STATE`, `enum tcp_conntrack`), with the names
/// `conntrack -L` prints.
public enum TCPConntrackState: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case synSent = 1
    case synReceived = 2
    case established = 3
    case finWait = 4
    case closeWait = 5
    case lastAck = 6
    case timeWait = 7
    case close = 8
    /// Simultaneous open (the kernel's BTF calls the value LISTEN).
    case synSent2 = 9

    /// The name as conntrack-tools 1.4.7 / libnetfilter_conntrack 1.0.9 print it.
    public var name: String {
        switch self {
        case .none: "NONE"
        case .synSent: "SYN_SENT"
        case .synReceived: "SYN_RECV"
        case .established: "ESTABLISHED"
        case .finWait: "FIN_WAIT"
        case .closeWait: "CLOSE_WAIT"
        case .lastAck: "LAST_ACK"
        case .timeWait: "TIME_WAIT"
        case .close: "CLOSE"
        case .synSent2: "SYN_SENT2"
        }
    }

    public var description: String { name }
}
