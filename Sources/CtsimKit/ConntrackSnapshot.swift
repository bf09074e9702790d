/// The conntrack table at one moment: its entries in a stable order, and the clock they were read
/// at, so timeouts read as `conntrack -L` prints them.
///
/// ```swift
/// let entry = try #require(program.conntrack[web])
/// #expect(entry.tcpState == .established)
/// #expect(entry.status.contains(.assured))
/// #expect(program.conntrack.remainingSeconds(entry) == 432_000)
/// ```
public struct ConntrackSnapshot: Sendable, CustomStringConvertible {
    /// Live entries (expired ones are gone), by family, protocol and original tuple.
    public var entries: [ConntrackEntry]
    /// The clock, in jiffies.
    public var now: Int64
    /// Jiffies per second.
    public var hz: Int64

    public init(entries: [ConntrackEntry], now: Int64, hz: Int64) {
        self.entries = entries
        self.now = now
        self.hz = hz
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// The entry with `tuple` in either direction, in `zone`.
    public func entry(for tuple: ConntrackTuple, zone: UInt16 = 0) -> ConntrackEntry? {
        entries.first { $0.zone == zone && ($0.original == tuple || $0.reply == tuple) }
    }

    /// The entry of a flow, a conversation or an echo exchange, in either direction (zone 0).
    public subscript(flow: some ConntrackFlow) -> ConntrackEntry? { entry(for: flow.originalTuple) }

    /// Whole seconds until `entry` expires, as `conntrack -L` prints them.
    public func remainingSeconds(_ entry: ConntrackEntry) -> Int64 { entry.remainingSeconds(now: now, hz: hz) }

    /// The table as `conntrack -L -o extended` prints it, one line per entry.
    public var lines: [String] { entries.map { $0.conntrackListLine(now: now, hz: hz) } }

    public var description: String { lines.joined(separator: "\n") }
}
