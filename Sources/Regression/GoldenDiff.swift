/// The differences between a golden result and a new one, one readable line each:
///
/// ```
/// packet 3: XDP_PASS (2) -> XDP_DROP (1)
/// entry appeared: ipv4 tcp src=198.51.100.1 dst=192.0.2.10 sport=40000 dport=80 (ESTABLISHED, timeout 431999)
/// entry vanished: ipv4 udp src=198.51.100.2 dst=192.0.2.10 sport=5353 dport=53
/// entry ipv4 tcp src=198.51.100.1 dst=192.0.2.10 sport=40000 dport=80: state ESTABLISHED -> TIME_WAIT
/// global accepted: 7 -> 8
/// trace: digest changed (41 lines -> 43 lines)
/// ```
///
/// Packets are matched by (capture, index), entries by family, protocol, original tuple and zone,
/// globals by name (members and elements by path: `stats.hits`, `counts[2]`).
public enum GoldenDiff {
    public static func differences(golden old: CaseResult, current new: CaseResult) -> [String] {
        var lines: [String] = []
        func field(_ name: String, _ a: String, _ b: String) { if a != b { lines.append("\(name): \(a) -> \(b)") } }
        field("name", old.name, new.name)
        field("object", old.object, new.object)
        field("program", old.program, new.program)
        field("type", old.type, new.type)
        field("kernel", old.kernel, new.kernel)
        field("captures", old.captures.joined(separator: ", "), new.captures.joined(separator: ", "))
        field("verifier", verdict(old.verifier), verdict(new.verifier))
        packets(old.packets, new.packets, into: &lines)
        entries(old.conntrack, new.conntrack, into: &lines)
        for name in Set(old.globals.keys).union(new.globals.keys).sorted() {
            value("global \(name)", old.globals[name], new.globals[name], into: &lines)
        }
        switch (old.trace, new.trace) {
        case (nil, nil): break
        case (nil, .some): lines.append("trace: not recorded -> recorded")
        case (.some, nil): lines.append("trace: recorded -> not recorded")
        case (.some(let a), .some(let b)):
            if a.sha256 != b.sha256 {
                lines.append(
                    "trace: digest changed (\(a.lines) lines -> \(b.lines) lines, sha256 \(a.sha256.prefix(12)) -> \(b.sha256.prefix(12)))"
                )
            }
        }
        return lines
    }

    static func verdict(_ v: CaseResult.Verifier) -> String { v.accepted ? "accepted" : "rejected (\(v.error ?? ""))" }

    static func verdict(_ p: CaseResult.Packet?) -> String {
        guard let p else { return "absent" }
        var text: String
        if let action = p.action, let retval = p.retval {
            text = "\(action) (\(Int64(bitPattern: retval)))"
        } else if let fault = p.fault {
            text = "fault (\(fault))"
        } else if let skipped = p.skipped {
            text = "skipped (\(skipped))"
        } else {
            text = "no result"
        }
        if let rewritten = p.rewritten { text += ", rewritten \(rewritten)" }
        return text
    }

    static func packets(_ old: [CaseResult.Packet], _ new: [CaseResult.Packet], into lines: inout [String]) {
        struct Key: Hashable, Comparable {
            var capture: Int
            var index: Int
            static func < (a: Key, b: Key) -> Bool { (a.capture, a.index) < (b.capture, b.index) }
        }
        let before = Dictionary(
            old.map { (Key(capture: $0.capture, index: $0.index), $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(
            new.map { (Key(capture: $0.capture, index: $0.index), $0) }, uniquingKeysWith: { a, _ in a })
        let several = Set(before.keys.map(\.capture)).union(after.keys.map(\.capture)).count > 1
        if old.count != new.count { lines.append("packets: \(old.count) -> \(new.count)") }
        for key in Set(before.keys).union(after.keys).sorted() where before[key] != after[key] {
            let name = several ? "packet \(key.capture).\(key.index)" : "packet \(key.index)"
            lines.append("\(name): \(verdict(before[key])) -> \(verdict(after[key]))")
        }
    }

    static func summary(_ e: CaseResult.Entry) -> String {
        var parts: [String] = []
        if let state = e.state { parts.append(state) }
        parts.append("reply \(e.reply)")
        if !e.status.isEmpty { parts.append("[\(e.status.joined(separator: ","))]") }
        parts.append("mark \(e.mark)")
        parts.append("timeout \(e.timeout)")
        return parts.joined(separator: ", ")
    }

    static func entries(_ old: [CaseResult.Entry], _ new: [CaseResult.Entry], into lines: inout [String]) {
        let before = Dictionary(old.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        // In the order the tables list them: the golden's first, then the new ones.
        var keys: [String] = []
        var seen: Set<String> = []
        for e in old + new where seen.insert(e.key).inserted { keys.append(e.key) }
        for key in keys {
            switch (before[key], after[key]) {
            case (nil, let b?): lines.append("entry appeared: \(key) (\(summary(b)))")
            case (let a?, nil): lines.append("entry vanished: \(key) (\(summary(a)))")
            case (let a?, let b?):
                func field(_ name: String, _ x: String, _ y: String) {
                    if x != y { lines.append("entry \(key): \(name) \(x) -> \(y)") }
                }
                field("state", a.state ?? "none", b.state ?? "none")
                field("reply", a.reply.description, b.reply.description)
                field(
                    "status", "[" + a.status.joined(separator: ",") + "]", "[" + b.status.joined(separator: ",") + "]")
                field("mark", String(a.mark), String(b.mark))
                field("timeout", String(a.timeout), String(b.timeout))
            case (nil, nil): break
            }
        }
    }

    static func value(_ name: String, _ a: CaseResult.Value?, _ b: CaseResult.Value?, into lines: inout [String]) {
        switch (a, b) {
        case (nil, nil): return
        case (nil, let b?): lines.append("\(name): appeared (\(b))")
        case (let a?, nil): lines.append("\(name): vanished (was \(a))")
        case (.list(let x)?, .list(let y)?) where x.count == y.count:
            for i in x.indices { value("\(name)[\(i)]", x[i], y[i], into: &lines) }
        case (.fields(let x)?, .fields(let y)?):
            for key in Set(x.keys).union(y.keys).sorted() { value("\(name).\(key)", x[key], y[key], into: &lines) }
        case (let a?, let b?):
            if a != b { lines.append("\(name): \(a) -> \(b)") }
        }
    }
}
