/// A TC (`sched_cls`) program's verdict: the `TC_ACT_*` values.
public enum TCVerdict: ProgramVerdict {
    /// -1: the default action.
    case unspec
    case ok
    case reclassify
    case shot
    case pipe
    case stolen
    case queued
    case `repeat`
    case redirect
    case trap
    /// A value with no `TC_ACT_*` name.
    case unknown(Int32)

    public static var programKind: ProgramKind { .tc }

    public init(returnValue: UInt64) {
        switch Int32(truncatingIfNeeded: returnValue) {
        case -1: self = .unspec
        case 0: self = .ok
        case 1: self = .reclassify
        case 2: self = .shot
        case 3: self = .pipe
        case 4: self = .stolen
        case 5: self = .queued
        case 6: self = .repeat
        case 7: self = .redirect
        case 8: self = .trap
        case let value: self = .unknown(value)
        }
    }

    /// The `TC_ACT_*` value.
    public var code: Int32 {
        switch self {
        case .unspec: -1
        case .ok: 0
        case .reclassify: 1
        case .shot: 2
        case .pipe: 3
        case .stolen: 4
        case .queued: 5
        case .repeat: 6
        case .redirect: 7
        case .trap: 8
        case .unknown(let value): value
        }
    }

    public var returnValue: UInt64 { UInt64(bitPattern: Int64(code)) }

    public var passesPacket: Bool { self == .ok || self == .unspec }

    /// `TC_ACT_OK`, `TC_ACT_SHOT`, ...
    public var description: String {
        switch self {
        case .unspec: "TC_ACT_UNSPEC"
        case .ok: "TC_ACT_OK"
        case .reclassify: "TC_ACT_RECLASSIFY"
        case .shot: "TC_ACT_SHOT"
        case .pipe: "TC_ACT_PIPE"
        case .stolen: "TC_ACT_STOLEN"
        case .queued: "TC_ACT_QUEUED"
        case .repeat: "TC_ACT_REPEAT"
        case .redirect: "TC_ACT_REDIRECT"
        case .trap: "TC_ACT_TRAP"
        case .unknown(let value): "TC_ACT_UNKNOWN(\(value))"
        }
    }
}
