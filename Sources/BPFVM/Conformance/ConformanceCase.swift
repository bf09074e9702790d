import BPFObject

/// One test file of the bpf_conformance suite: sections introduced by `-- name` lines.
public struct ConformanceCase: Sendable {
    /// The `-- asm` section and the file line of its first line.
    public var assembly: String?
    public var assemblyFirstLine = 1
    /// The `-- raw` section: instruction slots (as 64-bit integers or as 8 bytes a line).
    public var raw: [Instruction]?
    /// The `-- mem` section's bytes.
    public var memory: [UInt8] = []
    /// The `-- result` section.
    public var expectedResult: UInt64?
    /// The `-- error` section (possibly empty text): the run must fail.
    public var expectedError: String?
    /// Sections the format does not define (ignored, as the suite's own parser does).
    public var unknownSections: [String] = []

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// Parses a test file's text.
    public static func parse(_ text: String) throws(ParseError) -> ConformanceCase {
        var result = ConformanceCase()
        var section: String?
        var body: [(Int, Substring)] = []
        var lineNumber = 0

        func flush() throws(ParseError) {
            guard let name = section else { return }
            let lines = body
            body = []
            switch name {
            case "asm":
                result.assembly = lines.map { String($0.1) }.joined(separator: "\n")
                result.assemblyFirstLine = lines.first?.0 ?? lineNumber
            case "raw":
                result.raw = try parseRaw(lines)
            case "mem":
                result.memory = try parseBytes(lines)
            case "result":
                let words = lines.flatMap { $0.1.split(whereSeparator: \.isWhitespace) }
                guard words.count == 1, let value = parseNumber(words[0]) else {
                    throw ParseError(line: lines.first?.0 ?? lineNumber, message: "the result section must hold one number")
                }
                result.expectedResult = value
            case "error":
                result.expectedError = lines.map { String($0.1) }.joined(separator: "\n").trimmingSpaces
            case "c":
                break
            default:
                result.unknownSections.append(name)
            }
        }

        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.trimmingSpaces
            if trimmed.hasPrefix("--") {
                try flush()
                section = String(trimmed.dropFirst(2)).trimmingSpaces
                continue
            }
            guard section != nil else {
                guard trimmed.isEmpty || trimmed.hasPrefix("#") else {
                    throw ParseError(line: lineNumber, message: "text outside any section")
                }
                continue
            }
            if section == "asm" || section == "c" {
                body.append((lineNumber, line))
            } else if !trimmed.isEmpty, !trimmed.hasPrefix("#") {
                body.append((lineNumber, Substring(trimmed)))
            }
        }
        try flush()
        return result
    }

    private static func parseNumber(_ word: Substring) -> UInt64? {
        if word.hasPrefix("0x") || word.hasPrefix("0X") { return UInt64(word.dropFirst(2), radix: 16) }
        if word.hasPrefix("-"), let v = Int64(word) { return UInt64(bitPattern: v) }
        return UInt64(word)
    }

    private static func parseBytes(_ lines: [(Int, Substring)]) throws(ParseError) -> [UInt8] {
        var bytes: [UInt8] = []
        for (n, line) in lines {
            for word in line.split(whereSeparator: \.isWhitespace) {
                guard word.count <= 2, let b = UInt8(word, radix: 16) else {
                    throw ParseError(line: n, message: "'\(word)' is not a hex byte")
                }
                bytes.append(b)
            }
        }
        return bytes
    }

    private static func parseRaw(_ lines: [(Int, Substring)]) throws(ParseError) -> [Instruction] {
        var slots: [Instruction] = []
        for (n, line) in lines {
            let words = line.split(whereSeparator: \.isWhitespace)
            if words.count == 1 {
                guard let value = parseNumber(words[0]) else { throw ParseError(line: n, message: "'\(words[0])' is not an instruction") }
                slots.append(Instruction(bytes: (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }))
            } else {
                guard words.count == 8 else { throw ParseError(line: n, message: "a raw instruction line needs 8 bytes") }
                var bytes: [UInt8] = []
                for word in words {
                    guard word.count <= 2, let b = UInt8(word, radix: 16) else { throw ParseError(line: n, message: "'\(word)' is not a hex byte") }
                    bytes.append(b)
                }
                slots.append(Instruction(bytes: bytes))
            }
        }
        return slots
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
