/// An XDP program's verdict.
public enum XDPVerdict: ProgramVerdict {
    case aborted
    case drop
    case pass
    case tx
    case redirect
    /// A value the kernel does not define (it treats it as `XDP_ABORTED` with a warning).
    case unknown(UInt64)

    public static var programKind: ProgramKind { .xdp }

    public init(returnValue: UInt64) {
        switch returnValue {
        case 0: self = .aborted
        case 1: self = .drop
        case 2: self = .pass
        case 3: self = .tx
        case 4: self = .redirect
        default: self = .unknown(returnValue)
        }
    }

    public var returnValue: UInt64 {
        switch self {
        case .aborted: 0
        case .drop: 1
        case .pass: 2
        case .tx: 3
        case .redirect: 4
        case .unknown(let value): value
        }
    }

    public var passesPacket: Bool { self == .pass }

    /// `XDP_PASS`, `XDP_DROP`, ...
    public var description: String {
        switch self {
        case .aborted: "XDP_ABORTED"
        case .drop: "XDP_DROP"
        case .pass: "XDP_PASS"
        case .tx: "XDP_TX"
        case .redirect: "XDP_REDIRECT"
        case .unknown(let value): "XDP_UNKNOWN(\(value))"
        }
    }
}
