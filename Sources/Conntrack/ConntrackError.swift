/// An error of the conntrack model's configuration or API use (packets never throw: a packet
/// the kernel would not track is counted as invalid).
public struct ConntrackError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// An unknown sysctl, or a value out of range.
        case badSysctl
        /// An entry whose tuple (either direction) is already in the table.
        case exists
        /// The table is full and no entry could be dropped early.
        case tableFull
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
