/// A program's return value as an action name: `XDP_PASS`, `TC_ACT_SHOT`, ...
public enum ProgramAction {
    public static func xdp(_ value: UInt64) -> String {
        switch value {
        case 0: "XDP_ABORTED"
        case 1: "XDP_DROP"
        case 2: "XDP_PASS"
        case 3: "XDP_TX"
        case 4: "XDP_REDIRECT"
        default: "XDP_UNKNOWN(\(value))"
        }
    }

    public static func tc(_ value: UInt64) -> String {
        switch Int32(truncatingIfNeeded: value) {
        case -1: "TC_ACT_UNSPEC"
        case 0: "TC_ACT_OK"
        case 1: "TC_ACT_RECLASSIFY"
        case 2: "TC_ACT_SHOT"
        case 3: "TC_ACT_PIPE"
        case 4: "TC_ACT_STOLEN"
        case 5: "TC_ACT_QUEUED"
        case 6: "TC_ACT_REPEAT"
        case 7: "TC_ACT_REDIRECT"
        case 8: "TC_ACT_TRAP"
        case let v: "TC_ACT_UNKNOWN(\(v))"
        }
    }
}
