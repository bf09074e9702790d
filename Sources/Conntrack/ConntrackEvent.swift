/// One message of the event stream, as `conntrack -E` reports it.
public struct ConntrackEvent: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case new = "NEW"
        case update = "UPDATE"
        case destroy = "DESTROY"
    }

    public var kind: Kind
    /// The entry as it was when the event was sent.
    public var entry: ConntrackEntry
    /// When, in jiffies of the virtual clock.
    public var time: Int64
    /// Whole seconds left, as the event prints them; nil for an entry destroyed because it
    /// expired (the kernel then sends no timeout).
    public var timeout: Int64?

    public init(kind: Kind, entry: ConntrackEntry, time: Int64, timeout: Int64?) {
        self.kind = kind
        self.entry = entry
        self.time = time
        self.timeout = timeout
    }
}

/// What the model did with the packets it was given (the kernel's per-netns conntrack
/// statistics, plus what never reached conntrack).
public struct ConntrackStatistics: Hashable, Sendable {
    /// Packets given to the model.
    public var packets = 0
    /// Packets conntrack accepted as part of a connection (new, established or reply).
    public var tracked = 0
    /// Entries created (confirmed).
    public var created = 0
    /// Packets conntrack marked INVALID (not tracked).
    public var invalid = 0
    /// ICMP errors matched to a connection (RELATED).
    public var related = 0
    /// Packets conntrack leaves untracked (ICMPv6 neighbour discovery and MLD).
    public var untracked = 0
    /// Frames that are not IPv4 or IPv6 (ARP...), which conntrack never sees.
    public var notIP = 0
    /// Packets the IP layer drops before conntrack (bad header, bad header checksum, truncated).
    public var malformed = 0
    /// Fragments held for reassembly (those that completed a datagram count as the datagram).
    public var fragments = 0
    /// Datagrams reassembled from fragments.
    public var reassembled = 0
    /// Packets dropped because the table was full and nothing could be dropped early.
    public var dropped = 0
    /// Entries removed by early drop.
    public var earlyDrops = 0
    /// Entries that expired.
    public var expired = 0
    /// Entries deleted by a tracker (TCP RST without reply, TCP reopen).
    public var deleted = 0

    public init() {}
}

/// The kernel's verdict class for one packet.
public enum ConntrackVerdict: UInt8, Hashable, Sendable {
    /// The first packet of a new connection (an entry was created).
    case new
    /// A packet of an existing connection in the original direction.
    case established
    /// A packet in the reply direction.
    case reply
    /// An ICMP error RELATED to a connection.
    case related
    /// Not tracked: INVALID.
    case invalid
    /// Left untracked on purpose (ICMPv6 ND/MLD).
    case untracked
    /// Not an IP packet.
    case notIP
    /// Dropped by the IP layer before conntrack.
    case malformed
    /// A fragment held until its datagram is complete.
    case fragmentHeld
    /// Dropped: the table is full.
    case dropped
}
