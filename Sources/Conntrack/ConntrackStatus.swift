/// The status bits of a conntrack entry (`enum ip_conntrack_status`, `IPS_*`), as `ATTR_STATUS`
/// returns them (host order).
public struct ConntrackStatus: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let expected = ConntrackStatus(rawValue: 1 << 0)
    public static let seenReply = ConntrackStatus(rawValue: 1 << 1)
    public static let assured = ConntrackStatus(rawValue: 1 << 2)
    public static let confirmed = ConntrackStatus(rawValue: 1 << 3)
    public static let sourceNAT = ConntrackStatus(rawValue: 1 << 4)
    public static let destinationNAT = ConntrackStatus(rawValue: 1 << 5)
    public static let sequenceAdjust = ConntrackStatus(rawValue: 1 << 6)
    public static let sourceNATDone = ConntrackStatus(rawValue: 1 << 7)
    public static let destinationNATDone = ConntrackStatus(rawValue: 1 << 8)
    public static let dying = ConntrackStatus(rawValue: 1 << 9)
    public static let fixedTimeout = ConntrackStatus(rawValue: 1 << 10)
    public static let template = ConntrackStatus(rawValue: 1 << 11)
    /// Bit 12: IPS_UNTRACKED, reused by the kernel as IPS_NAT_CLASH.
    public static let untracked = ConntrackStatus(rawValue: 1 << 12)
    public static let helper = ConntrackStatus(rawValue: 1 << 13)
    public static let offload = ConntrackStatus(rawValue: 1 << 14)
    public static let hardwareOffload = ConntrackStatus(rawValue: 1 << 15)

    /// The `IPS_*` names without the prefix, by bit number (as `conntrack -o save` spells them).
    public static let bitNames = [
        "EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED", "SRC_NAT", "DST_NAT", "SEQ_ADJUST", "SRC_NAT_DONE",
        "DST_NAT_DONE", "DYING", "FIXED_TIMEOUT", "TEMPLATE", "UNTRACKED", "HELPER", "OFFLOAD", "HW_OFFLOAD",
    ]

    /// The names of the set bits in bit order; unknown bits as `BIT<n>`.
    public var names: [String] {
        (0..<32).compactMap { bit -> String? in
            guard rawValue & (1 << UInt32(bit)) != 0 else { return nil }
            return bit < Self.bitNames.count ? Self.bitNames[bit] : "BIT\(bit)"
        }
    }

    /// e.g. `SEEN_REPLY|ASSURED|CONFIRMED (0xe)`.
    public var description: String {
        let list = names.isEmpty ? "none" : names.joined(separator: "|")
        return "\(list) (0x\(String(rawValue, radix: 16)))"
    }
}
