/// The contract's "one clear line on stderr": a failure message made of whatever a bad input
/// holds (a sysctl file's random bytes, a 10 MB hex word) becomes one printable line.
enum StderrLine {
    /// The longest message printed, in characters; longer ones end in "...".
    static let limit = 4096

    /// `message` with line breaks and other control characters escaped (`\n`, `\r`, `\u{1b}`),
    /// cut to `limit` characters.
    static func sanitized(_ message: String) -> String {
        var line = ""
        var count = 0
        for scalar in message.unicodeScalars {
            if count >= limit {
                line += "..."
                break
            }
            switch scalar {
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line.unicodeScalars.append(scalar)
            case _ where scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}":
                line += "\\u{\(String(scalar.value, radix: 16))}"
            default: line.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return line
    }
}
