import Conntrack
import KernelBackend
import Packets

/// One difference between two conntrack tables, said so a reader sees which entry, which field,
/// and both values.
struct TableDifference: Hashable, Sendable, CustomStringConvertible {
    enum Kind: Hashable, Sendable {
        /// An entry the left table has and the right one lacks.
        case onlyLeft
        /// An entry the right table has and the left one lacks.
        case onlyRight
        /// A field that differs between the two tables' entries for one connection.
        case field(name: String, left: String, right: String)
    }

    /// The entry, as `family proto original-tuple`.
    var entry: String
    var kind: Kind
    /// What the two sides are called (`kernel`, `model`).
    var names: (left: String, right: String)

    static func == (a: Self, b: Self) -> Bool { a.entry == b.entry && a.kind == b.kind }
    func hash(into hasher: inout Hasher) {
        hasher.combine(entry)
        hasher.combine(kind)
    }

    var description: String {
        switch kind {
        case .onlyLeft: "\(entry): only in the \(names.left) table"
        case .onlyRight: "\(entry): only in the \(names.right) table"
        case .field(let name, let left, let right): "\(entry): \(name) \(names.left)=\(left) \(names.right)=\(right)"
        }
    }
}

/// Compares two tables entry by entry: entries are paired by family, protocol, zone and original
/// tuple; within a pair the reply tuple, TCP state, status bits, mark and zones must be equal and
/// the left timeout within the range `allowedTimeouts(left, right)` gives.
enum TableComparison {
    struct EntryKey: Hashable, Comparable, CustomStringConvertible {
        var family: KernelConntrackEntry.Family
        var protocolNumber: UInt8
        var zone: UInt16
        var original: KernelConntrackEntry.Tuple

        init(_ entry: KernelConntrackEntry) {
            family = entry.family
            protocolNumber = entry.protocolNumber
            zone = entry.zone
            original = entry.original
        }

        var description: String {
            let name = KernelConntrackEntry(
                family: family, protocolNumber: protocolNumber, original: original, reply: original, status: [],
                timeout: 0
            ).protocolName
            return "\(family.rawValue) \(name) \(original)" + (zone == 0 ? "" : " zone=\(zone)")
        }

        static func < (a: Self, b: Self) -> Bool { a.description < b.description }
    }

    static func differences(
        _ left: [KernelConntrackEntry], _ right: [KernelConntrackEntry], names: (left: String, right: String),
        allowedTimeouts: (KernelConntrackEntry, KernelConntrackEntry) -> ClosedRange<Int>
    ) -> [TableDifference] {
        var differences: [TableDifference] = []
        // Two entries with one original tuple cannot coexist in a zone; group anyway so that a
        // broken table is reported rather than trapped on.
        let leftByKey = Dictionary(grouping: left, by: EntryKey.init)
        let rightByKey = Dictionary(grouping: right, by: EntryKey.init)
        for key in Set(leftByKey.keys).union(rightByKey.keys).sorted() {
            let l = leftByKey[key] ?? []
            let r = rightByKey[key] ?? []
            let entry = key.description
            if l.count != r.count {
                if r.isEmpty {
                    differences.append(.init(entry: entry, kind: .onlyLeft, names: names))
                } else if l.isEmpty {
                    differences.append(.init(entry: entry, kind: .onlyRight, names: names))
                } else {
                    differences.append(
                        .init(
                            entry: entry, kind: .field(name: "entries", left: "\(l.count)", right: "\(r.count)"),
                            names: names))
                }
                continue
            }
            for (a, b) in zip(l, r) {
                func field(_ name: String, _ x: String, _ y: String) {
                    if x != y {
                        differences.append(
                            .init(entry: entry, kind: .field(name: name, left: x, right: y), names: names))
                    }
                }
                field("reply", a.reply.description, b.reply.description)
                field("state", a.tcpState?.name ?? a.sctpState?.name ?? "-", b.tcpState?.name ?? b.sctpState?.name ?? "-")
                field("status", a.status.description, b.status.description)
                field("mark", "\(a.mark)", "\(b.mark)")
                field("zone-orig", a.originalZone.map { "\($0)" } ?? "-", b.originalZone.map { "\($0)" } ?? "-")
                field("zone-reply", a.replyZone.map { "\($0)" } ?? "-", b.replyZone.map { "\($0)" } ?? "-")
                let allowed = allowedTimeouts(a, b)
                if !allowed.contains(Int(a.timeout)) {
                    differences.append(
                        .init(
                            entry: entry,
                            kind: .field(
                                name: "timeout (\(names.left) allowed in \(allowed))", left: "\(a.timeout)",
                                right: "\(b.timeout)"),
                            names: names))
                }
            }
        }
        return differences
    }

    /// The differences as a block of text, with both tables for context.
    static func report(
        _ differences: [TableDifference], left: [KernelConntrackEntry], right: [KernelConntrackEntry],
        names: (left: String, right: String)
    ) -> String {
        func table(_ entries: [KernelConntrackEntry]) -> String {
            entries.map { "    " + $0.conntrackListLine() }.sorted().joined(separator: "\n")
        }
        return """
            \(differences.count) difference(s):
            \(differences.map { "  " + $0.description }.joined(separator: "\n"))
              \(names.left) table:
            \(table(left))
              \(names.right) table:
            \(table(right))
            """
    }
}
