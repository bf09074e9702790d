/// A deterministic slice of a suite, for a CI matrix: `--shard I/N` with `I` counted from 1.
///
/// The cases are dealt round-robin in suite order: the case at 0-based position `p` belongs to
/// shard `p % N + 1`. So the N shards are disjoint, their union is the whole suite, and their
/// sizes differ by at most one.
public struct Shard: Hashable, Sendable, CustomStringConvertible {
    /// 1-based.
    public var index: Int
    public var count: Int

    /// - Precondition: `1 <= index <= count`.
    public init(index: Int, count: Int) {
        precondition(count >= 1 && (1...count).contains(index))
        self.index = index
        self.count = count
    }

    /// Parses `I/N` (1 <= I <= N); nil when malformed.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(i) else {
            return nil
        }
        self.init(index: i, count: n)
    }

    /// Whether the case at 0-based suite position `position` is in this shard.
    public func contains(position: Int) -> Bool { position % count == index - 1 }

    public var description: String { "\(index)/\(count)" }
}
