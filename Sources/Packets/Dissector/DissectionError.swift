/// The layer of a packet that the dissector found malformed.
public enum Layer: String, Sendable, Hashable, CaseIterable {
    case link
    case vlan
    case ipv4
    case ipv6
    case ipv6Extension = "ipv6-extension"
    case tcp
    case udp
    case icmp
    case icmpv6
}

/// A malformed layer, reported precisely: which layer, at which byte of the frame, and why.
public struct DissectionError: Error, Hashable, Sendable, CustomStringConvertible {
    public var layer: Layer
    /// The byte offset in the frame where the faulty header (or field) starts.
    public var offset: Int
    public var reason: String

    public init(_ layer: Layer, at offset: Int, _ reason: String) {
        self.layer = layer
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "\(layer.rawValue) at byte \(offset): \(reason)" }
}
