/// The readable report of `ctsim check` / `ctsim record`: one line per case, its diff lines
/// indented under it, and a summary line.
///
/// ```
/// ok       firewall-tcp-handshake
/// CHANGED  firewall-udp (2 differences)
///          packet 1: XDP_PASS (2) -> XDP_DROP (1)
///          entry vanished: ipv4 udp src=198.51.100.1 dst=192.0.2.10 sport=40001 dport=53 (...)
/// MISSING  firewall-icmp (no golden file Suites/examples.golden/firewall-icmp.json)
/// 3 cases: 1 same, 1 changed, 1 missing
/// ```
public enum SuiteReport {
    public static func lines(_ outcomes: [CaseOutcome], mode: SuiteRunner.Mode) -> [String] {
        var lines: [String] = []
        let indent = String(repeating: " ", count: 9)
        for o in outcomes {
            let name = o.regressionCase.name
            switch (o.status, mode) {
            case (.same, _): lines.append("ok       \(name)")
            case (.changed, _):
                lines.append("CHANGED  \(name) (\(count(o.differences.count, "difference")))")
                lines += o.differences.map { indent + $0 }
            case (.missing, _): lines.append("MISSING  \(name) (no golden file \(o.goldenPath))")
            case (.written, .record): lines.append("recorded \(name) -> \(o.goldenPath)")
            case (.written, _):
                if o.differences.isEmpty {
                    lines.append("updated  \(name) (new golden file \(o.goldenPath))")
                } else {
                    lines.append("updated  \(name) (\(count(o.differences.count, "difference")) accepted)")
                    lines += o.differences.map { indent + $0 }
                }
            }
        }
        lines.append(summary(outcomes, mode: mode))
        return lines
    }

    public static func summary(_ outcomes: [CaseOutcome], mode: SuiteRunner.Mode) -> String {
        func n(_ s: CaseOutcome.Status) -> Int { outcomes.filter { $0.status == s }.count }
        switch mode {
        case .record: return "\(count(outcomes.count, "case")) recorded"
        case .check:
            return "\(count(outcomes.count, "case")): \(n(.same)) same, \(n(.changed)) changed, \(n(.missing)) missing"
        case .update: return "\(count(outcomes.count, "case")): \(n(.same)) same, \(n(.written)) updated"
        }
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
