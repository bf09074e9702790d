/// The packet and byte counters of one entry (`struct nf_conn_acct`, with `nf_conntrack_acct=1`):
/// every packet `nf_ct_refresh_acct` sees adds one packet and its `skb->len` at PREROUTING (the
/// IP packet's length, after defrag the reassembled datagram's) to its direction.
public struct ConntrackCounters: Hashable, Sendable {
    public var originalPackets: UInt64 = 0
    public var originalBytes: UInt64 = 0
    public var replyPackets: UInt64 = 0
    public var replyBytes: UInt64 = 0

    public init(
        originalPackets: UInt64 = 0, originalBytes: UInt64 = 0, replyPackets: UInt64 = 0, replyBytes: UInt64 = 0
    ) {
        self.originalPackets = originalPackets
        self.originalBytes = originalBytes
        self.replyPackets = replyPackets
        self.replyBytes = replyBytes
    }

    /// Adds one packet of `bytes` to a direction (0 original, 1 reply).
    @inline(__always)
    public mutating func add(direction: UInt8, bytes: Int) {
        if direction == 0 {
            originalPackets &+= 1
            originalBytes &+= UInt64(bytes)
        } else {
            replyPackets &+= 1
            replyBytes &+= UInt64(bytes)
        }
    }

    /// One direction's counters (0 original, 1 reply).
    public func direction(_ direction: UInt8) -> (packets: UInt64, bytes: UInt64) {
        direction == 0 ? (originalPackets, originalBytes) : (replyPackets, replyBytes)
    }
}
