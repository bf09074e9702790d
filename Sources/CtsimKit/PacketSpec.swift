/// One packet of hand-built traffic before it is framed and given a time: the IP packet (built by
/// Packets' `IPPacketBuilder`, which writes correct lengths and checksums), which side sends it,
/// the VLAN tags of its Ethernet frame, and how long after the previous packet it leaves.
///
/// Conversations (`TCPConversation`, `UDPConversation`, `ICMPEcho`) make these; ``Traffic``
/// turns them into timestamped Ethernet frames. Change one before appending it to make a test's
/// odd case (a bad checksum, a TTL of 1, a longer gap).
public struct PacketSpec: Sendable {
    public var ip: IPPacketBuilder
    public var sender: Side
    /// 802.1Q/802.1ad tags, outermost first.
    public var vlanTags: [VLANTag]
    /// The time since the previous packet; nil takes the traffic's ``Traffic/step``.
    public var delay: Duration?

    public init(_ ip: IPPacketBuilder, sender: Side, vlanTags: [VLANTag] = [], delay: Duration? = nil) {
        self.ip = ip
        self.sender = sender
        self.vlanTags = vlanTags
        self.delay = delay
    }

    /// The same packet sent `delay` after the previous one.
    public func after(_ delay: Duration) -> PacketSpec {
        var copy = self
        copy.delay = delay
        return copy
    }
}
