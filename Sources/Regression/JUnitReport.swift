/// JUnit XML for CI systems: one `<testsuite>` for the suite, one `<testcase>` per case, a
/// `<failure>` holding the diff text for a changed or missing case.
public enum JUnitReport {
    public static func xml(suite: RegressionSuite, outcomes: [CaseOutcome]) -> String {
        let failures = outcomes.filter(\.failed).count
        let total = outcomes.reduce(0.0) { $0 + $1.seconds }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml +=
            "<testsuites name=\"ctsim\" tests=\"\(outcomes.count)\" failures=\"\(failures)\" errors=\"0\" time=\"\(seconds(total))\">\n"
        xml +=
            "  <testsuite name=\"\(escape(suite.name))\" tests=\"\(outcomes.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\""
        xml += " time=\"\(seconds(total))\" file=\"\(escape(suite.path))\">\n"
        for o in outcomes {
            xml +=
                "    <testcase name=\"\(escape(o.regressionCase.name))\" classname=\"\(escape(suite.name))\" time=\"\(seconds(o.seconds))\""
            switch o.status {
            case .changed:
                xml +=
                    ">\n      <failure type=\"changed\" message=\"\(escape("\(o.differences.count) difference\(o.differences.count == 1 ? "" : "s") from \(o.goldenPath)"))\">"
                xml += escape(o.differences.joined(separator: "\n"), attribute: false) + "</failure>\n    </testcase>\n"
            case .missing:
                xml += ">\n      <failure type=\"missing\" message=\"\(escape("no golden file \(o.goldenPath)"))\">"
                xml +=
                    escape("run ctsim record \(suite.path) (or ctsim check --update) to write it", attribute: false)
                    + "</failure>\n    </testcase>\n"
            case .same, .written:
                xml += "/>\n"
            }
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    /// Text escaped for XML character data and attribute values. Characters XML 1.0 cannot hold
    /// at all (C0 controls other than tab, newline, carriage return) become `?`.
    /// Newlines stay as they are in character data (`attribute: false`) and become `&#10;` in
    /// attribute values, where a parser would turn them into spaces.
    public static func escape(_ text: String, attribute: Bool = true) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += attribute ? "&#10;" : "\n"
            case "\t", "\r": out += "&#\(scalar.value);"
            case let c where c.value < 0x20 || c.value == 0xFFFE || c.value == 0xFFFF: out += "?"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func seconds(_ s: Double) -> String {
        let ms = Int((s * 1000).rounded())
        let fraction = String(ms % 1000)
        return "\(ms / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
