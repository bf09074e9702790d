/// What one run of the program did with one packet.
public struct PacketResult<Verdict: ProgramVerdict>: Sendable {
    /// The packet's position among every packet the program has run, from 0.
    public var index: Int
    public var timestamp: Timestamp
    /// nil when the run faulted or the packet was skipped.
    public var verdict: Verdict?
    /// r0, nil when the run faulted or the packet was skipped.
    public var returnValue: UInt64?
    /// The packet as the program left it (data ... data_end); empty when skipped.
    public var packet: [UInt8]
    /// Why the run stopped (a VM fault: a bad access, the instruction budget), if it did.
    public var fault: String?
    /// Why the packet was not run (not IP, a link layer that does not decode), if it was not.
    public var skipped: String?
    /// The kfunc calls in order (when the program traces).
    public var kfuncCalls: [KfuncCall]
    /// The conntrack events the packet caused (when the program traces).
    public var events: [ConntrackEvent]
    /// Instructions executed.
    public var instructions: Int
}

extension Array where Element == PacketResult<XDPVerdict> {
    /// Each packet's verdict, nil where the run faulted or the packet was skipped.
    public var verdicts: [XDPVerdict?] { map(\.verdict) }
}

extension Array where Element == PacketResult<TCVerdict> {
    /// Each packet's verdict, nil where the run faulted or the packet was skipped.
    public var verdicts: [TCVerdict?] { map(\.verdict) }
}
