/// Which end of a flow sends a packet.
public enum Side: Hashable, Sendable {
    case client
    case server

    /// The other end.
    public var peer: Side { self == .client ? .server : .client }
}
