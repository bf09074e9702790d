/// A capture's link-layer header type, by its libpcap DLT value.
///
/// libpcap maps the LINKTYPE_ numbers stored in files to DLT_ numbers (LINKTYPE_RAW 101 becomes
/// DLT_RAW 12 on Linux); this type holds the DLT value as libpcap reports and expects it.
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    public static let null = LinkType(rawValue: 0)
    /// Ethernet II / 802.3 (DLT_EN10MB).
    public static let ethernet = LinkType(rawValue: 1)
    /// Raw IP, version from the first nibble (DLT_RAW, LINKTYPE_RAW 101 in files).
    public static let raw = LinkType(rawValue: 12)
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    public static let loop = LinkType(rawValue: 108)
    /// Linux cooked capture v1 (DLT_LINUX_SLL).
    public static let linuxSLL = LinkType(rawValue: 113)
    /// Raw IPv4 (DLT_IPV4).
    public static let ipv4 = LinkType(rawValue: 228)
    /// Raw IPv6 (DLT_IPV6).
    public static let ipv6 = LinkType(rawValue: 229)
    /// Linux cooked capture v2 (DLT_LINUX_SLL2).
    public static let linuxSLL2 = LinkType(rawValue: 276)

    /// The link types the dissector understands.
    public static let supported: [LinkType] = [.null, .ethernet, .raw, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2]

    public var isSupported: Bool { Self.supported.contains(self) }

    /// The libpcap name (`pcap_datalink_val_to_name`), e.g. `EN10MB`.
    public var name: String {
        switch self {
        case .null: "NULL"
        case .ethernet: "EN10MB"
        case .raw: "RAW"
        case .loop: "LOOP"
        case .linuxSLL: "LINUX_SLL"
        case .ipv4: "IPV4"
        case .ipv6: "IPV6"
        case .linuxSLL2: "LINUX_SLL2"
        default: "DLT_\(rawValue)"
        }
    }

    /// A description for people, e.g. `Ethernet`.
    public var summary: String {
        switch self {
        case .null: "BSD loopback"
        case .ethernet: "Ethernet"
        case .raw: "Raw IP"
        case .loop: "OpenBSD loopback"
        case .linuxSLL: "Linux cooked v1"
        case .ipv4: "Raw IPv4"
        case .ipv6: "Raw IPv6"
        case .linuxSLL2: "Linux cooked v2"
        default: "unsupported link type"
        }
    }

    public var description: String { name }
}
