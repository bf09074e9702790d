/// One difference between the kernel's answer and the simulator's.
struct Difference {
    /// What differs: `entry`, `verdict`, `global`, `verify`, `packets`.
    var kind: String
    /// Which entry, packet, variable or program.
    var subject: String
    /// The differing field (nil for a whole subject present on one side only).
    var field: String?
    var kernel: JSON
    var simulated: JSON

    var text: String {
        let what = field.map { "\(subject): \($0)" } ?? subject
        return "\(kind) \(what): kernel \(Self.show(kernel)), simulated \(Self.show(simulated))"
    }

    static func show(_ value: JSON) -> String {
        if case .null = value { return "(none)" }
        return value.compact
    }

    var json: JSON {
        .object([
            ("kind", .string(kind)), ("subject", .string(subject)), ("field", field.map { .string($0) } ?? .null),
            ("kernel", kernel), ("simulated", simulated),
        ])
    }
}

/// The outcome of a `ctsim diff` mode: every difference, printed as text or JSON; exit 0 when
/// there is none, 1 otherwise.
struct DiffReport {
    var mode: String
    var differences: [Difference]
    /// Both sides' answers, for `--json`.
    var kernel: JSON
    var simulated: JSON

    func emit(json: Bool) throws {
        if json {
            Output.out(
                JSON.object([
                    ("mode", .string(mode)), ("agree", .bool(differences.isEmpty)), ("differences", .array(differences.map(\.json))),
                    ("kernel", kernel), ("simulated", simulated),
                ]).serialized())
        } else {
            for difference in differences { Output.out(difference.text) }
            Output.out(differences.isEmpty ? "no differences" : "\(differences.count) difference\(differences.count == 1 ? "" : "s")")
        }
        if !differences.isEmpty { throw CommandFailure(.negative, "") }
    }
}

/// Comparing answers given as the contract's JSON, so the kernel side and the simulator side
/// only need to agree on the contract, not on Swift types.
enum DiffCompare {
    /// The identity of an ENTRY: family, protocol number and original tuple.
    static func key(_ entry: JSON) -> String {
        let family = entry["family"].map { Difference.show($0) } ?? "?"
        let proto = entry["protocol"].map { Difference.show($0) } ?? "?"
        var tuple = ""
        if case .object(let members)? = entry["original"].map(canonical) {
            tuple = members.map { "\($0.0)=\(Difference.show($0.1).replacingQuotes())" }.joined(separator: " ")
        }
        return "\(family.replacingQuotes()) \(proto.replacingQuotes()) \(tuple)"
    }

    /// Every difference between two tables of ENTRY objects, matched by `key`.
    ///
    /// - Parameter timeoutTolerance: seconds by which timeouts may differ (nil: not compared).
    static func tables(kernel: [JSON], simulated: [JSON], timeoutTolerance: Int64?) -> [Difference] {
        var differences: [Difference] = []
        var simulatedByKey: [String: JSON] = [:]
        var simulatedOrder: [String] = []
        for entry in simulated {
            let k = key(entry)
            if simulatedByKey[k] == nil { simulatedOrder.append(k) }
            simulatedByKey[k] = entry
        }
        var seen: Set<String> = []
        for entry in kernel {
            let k = key(entry)
            seen.insert(k)
            guard let other = simulatedByKey[k] else {
                differences.append(Difference(kind: "entry", subject: k, field: nil, kernel: entry, simulated: .null))
                continue
            }
            for field in ["state", "sctp_state", "reply", "mark", "zone"] where entry[field].map(canonical) != other[field].map(canonical) {
                differences.append(
                    Difference(kind: "entry", subject: k, field: field, kernel: entry[field] ?? .null, simulated: other[field] ?? .null))
            }
            if statusSet(entry) != statusSet(other) {
                differences.append(
                    Difference(kind: "entry", subject: k, field: "status", kernel: entry["status"] ?? .null, simulated: other["status"] ?? .null))
            }
            if let tolerance = timeoutTolerance {
                let a = entry["timeout"]?.integerValue
                let b = other["timeout"]?.integerValue
                if a == nil || b == nil || abs(a! - b!) > tolerance {
                    differences.append(
                        Difference(kind: "entry", subject: k, field: "timeout", kernel: entry["timeout"] ?? .null, simulated: other["timeout"] ?? .null))
                }
            }
        }
        for k in simulatedOrder where !seen.contains(k) {
            differences.append(Difference(kind: "entry", subject: k, field: nil, kernel: .null, simulated: simulatedByKey[k]!))
        }
        return differences
    }

    /// The tuple members' order of the contract, then other keys by name; recursively, so
    /// objects written by other JSON writers compare equal.
    static func canonical(_ value: JSON) -> JSON {
        switch value {
        case .object(let members):
            let order = ["src", "dst", "sport", "dport", "type", "code", "id"]
            let sorted = members.sorted { a, b in
                let ia = order.firstIndex(of: a.0) ?? order.count
                let ib = order.firstIndex(of: b.0) ?? order.count
                return ia != ib ? ia < ib : a.0 < b.0
            }
            return .object(sorted.map { ($0.0, canonical($0.1)) })
        case .array(let items):
            return .array(items.map(canonical))
        default:
            return value
        }
    }

    static func statusSet(_ entry: JSON) -> Set<String> {
        guard case .array(let items)? = entry["status"] else { return [] }
        return Set(items.map { Difference.show($0) })
    }

    /// Differences between two objects of globals, member by member.
    static func globals(kernel: JSON, simulated: JSON) -> [Difference] {
        guard case .object(let a) = kernel, case .object(let b) = simulated else {
            return kernel == simulated ? [] : [Difference(kind: "global", subject: "globals", field: nil, kernel: kernel, simulated: simulated)]
        }
        var differences: [Difference] = []
        for (name, value) in a where simulated[name].map(canonical) != canonical(value) {
            differences.append(Difference(kind: "global", subject: name, field: nil, kernel: value, simulated: simulated[name] ?? .null))
        }
        for (name, value) in b where kernel[name] == nil {
            differences.append(Difference(kind: "global", subject: name, field: nil, kernel: .null, simulated: value))
        }
        return differences
    }

    /// Differences between two `results` lists, packet by packet (by `index`).
    static func verdicts(kernel: [JSON], simulated: [JSON]) -> [Difference] {
        var differences: [Difference] = []
        for position in 0..<max(kernel.count, simulated.count) {
            let a = position < kernel.count ? kernel[position] : JSON.null
            let b = position < simulated.count ? simulated[position] : JSON.null
            let index = (a["index"] ?? b["index"])?.integerValue ?? Int64(position)
            if a["retval"] != b["retval"] || a["action"] != b["action"] {
                differences.append(
                    Difference(kind: "verdict", subject: "packet \(index)", field: nil, kernel: a["action"] ?? a["retval"] ?? .null,
                        simulated: b["action"] ?? b["retval"] ?? .null))
            }
        }
        return differences
    }
}

extension String {
    fileprivate func replacingQuotes() -> String { filter { $0 != "\"" } }
}
