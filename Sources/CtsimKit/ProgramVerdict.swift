/// What a program's return value means for its type: ``XDPVerdict`` or ``TCVerdict``.
public protocol ProgramVerdict: Hashable, Sendable, CustomStringConvertible {
    /// The program type these verdicts belong to.
    static var programKind: ProgramKind { get }
    /// Whether a packet with this verdict goes on into the stack (and its conntrack).
    var passesPacket: Bool { get }
    /// The verdict of r0 as the program returned it.
    init(returnValue: UInt64)
    /// r0 as the program returned it.
    var returnValue: UInt64 { get }
}
