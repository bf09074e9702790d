/// Something that names one conntrack entry: a flow, a conversation, an echo exchange. A table
/// finds the entry by ``originalTuple`` in either direction.
public protocol ConntrackFlow {
    /// The tuple of the flow's first packet (the entry's original direction).
    var originalTuple: ConntrackTuple { get }
}
