import Foundation

/// What a case did: the golden file's contents. `encoded()` is deterministic (sorted keys, no
/// floats, no clock), so recording twice gives byte-identical files.
public struct CaseResult: Codable, Hashable, Sendable {
    /// The case's name.
    public var name: String
    /// The inputs, as the suite wrote them.
    public var object: String
    public var program: String
    /// `xdp` or `tc`.
    public var type: String
    public var kernel: String
    public var captures: [String]
    public var verifier: Verifier
    /// One per packet of every capture, in order (empty when the verifier rejected the program).
    public var packets: [Packet]
    /// The conntrack table after the last packet, in the model's stable order.
    public var conntrack: [Entry]
    /// `.bss`, `.data`, `.rodata` variables by BTF name (`name (section)` when a name repeats).
    public var globals: [String: Value]
    /// The digest of the trace text (nil when the case runs without `trace`).
    public var trace: Trace?

    public init(
        name: String, object: String, program: String, type: String, kernel: String, captures: [String],
        verifier: Verifier,
        packets: [Packet], conntrack: [Entry], globals: [String: Value], trace: Trace?
    ) {
        self.name = name
        self.object = object
        self.program = program
        self.type = type
        self.kernel = kernel
        self.captures = captures
        self.verifier = verifier
        self.packets = packets
        self.conntrack = conntrack
        self.globals = globals
        self.trace = trace
    }

    /// The verifier's verdict.
    public struct Verifier: Codable, Hashable, Sendable {
        public var accepted: Bool
        public var error: String?

        public init(accepted: Bool, error: String?) {
            self.accepted = accepted
            self.error = error
        }
    }

    /// One packet's verdict.
    public struct Packet: Codable, Hashable, Sendable {
        /// The capture (0-based position in the case's list) and the packet's 0-based index in it.
        public var capture: Int
        public var index: Int
        /// `XDP_PASS`, `TC_ACT_SHOT`, ...; nil when the run faulted or the packet was skipped.
        public var action: String?
        /// r0 as a 64-bit value.
        public var retval: UInt64?
        public var fault: String?
        public var skipped: String?
        /// The first 16 hex digits of the SHA-256 of the frame as the program left it, when it
        /// differs from the frame it was given (with the `output` option).
        public var rewritten: String?

        public init(
            capture: Int, index: Int, action: String? = nil, retval: UInt64? = nil, fault: String? = nil,
            skipped: String? = nil,
            rewritten: String? = nil
        ) {
            self.capture = capture
            self.index = index
            self.action = action
            self.retval = retval
            self.fault = fault
            self.skipped = skipped
            self.rewritten = rewritten
        }
    }

    /// One direction's tuple, as the contract's ENTRY writes it.
    public struct Tuple: Codable, Hashable, Sendable, CustomStringConvertible {
        public var src: String
        public var dst: String
        public var sport: Int?
        public var dport: Int?
        public var type: Int?
        public var code: Int?
        public var id: Int?

        public init(
            src: String, dst: String, sport: Int? = nil, dport: Int? = nil, type: Int? = nil, code: Int? = nil,
            id: Int? = nil
        ) {
            self.src = src
            self.dst = dst
            self.sport = sport
            self.dport = dport
            self.type = type
            self.code = code
            self.id = id
        }

        /// `src=... dst=... sport=... dport=...` as conntrack prints it.
        public var description: String {
            var text = "src=\(src) dst=\(dst)"
            if let type, let code, let id { text += " type=\(type) code=\(code) id=\(id)" }
            if let sport, let dport { text += " sport=\(sport) dport=\(dport)" }
            return text
        }
    }

    /// One conntrack entry: the contract's ENTRY fields.
    public struct Entry: Codable, Hashable, Sendable {
        public var family: String
        public var `protocol`: String
        public var state: String?
        /// Whole seconds left after the last packet, as `conntrack -L` prints it.
        public var timeout: Int64
        public var original: Tuple
        public var reply: Tuple
        public var status: [String]
        public var mark: UInt32
        public var zone: UInt16

        public init(
            family: String, protocol: String, state: String?, timeout: Int64, original: Tuple, reply: Tuple,
            status: [String],
            mark: UInt32, zone: UInt16
        ) {
            self.family = family
            self.protocol = `protocol`
            self.state = state
            self.timeout = timeout
            self.original = original
            self.reply = reply
            self.status = status
            self.mark = mark
            self.zone = zone
        }

        /// What identifies the entry across runs: family, protocol, original tuple, zone.
        public var key: String { "\(family) \(`protocol`) \(original)" + (zone != 0 ? " zone=\(zone)" : "") }
    }

    /// A global's value: integers (signed when negative), lists, structs by member name.
    public indirect enum Value: Codable, Hashable, Sendable, CustomStringConvertible {
        case int(Int64)
        case uint(UInt64)
        case list([Value])
        case fields([String: Value])

        public init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let v = try? container.decode(Int64.self) {
                self = .int(v)
            } else if let v = try? container.decode(UInt64.self) {
                self = .uint(v)
            } else if let v = try? container.decode([Value].self) {
                self = .list(v)
            } else {
                self = .fields(try container.decode([String: Value].self))
            }
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .int(let v): try container.encode(v)
            case .uint(let v): try container.encode(v)
            case .list(let v): try container.encode(v)
            case .fields(let v): try container.encode(v)
            }
        }

        /// An unsigned value that fits in Int64 becomes `.int`, so a value reads back as it was written.
        public static func unsigned(_ v: UInt64) -> Value { v <= UInt64(Int64.max) ? .int(Int64(v)) : .uint(v) }

        public var description: String {
            switch self {
            case .int(let v): String(v)
            case .uint(let v): String(v)
            case .list(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
            case .fields(let fields):
                "{" + fields.keys.sorted().map { "\($0): \(fields[$0]!)" }.joined(separator: ", ") + "}"
            }
        }
    }

    /// The trace's digest: SHA-256 of the trace text (see `CaseRunner.traceText`) and its lines.
    public struct Trace: Codable, Hashable, Sendable {
        public var sha256: String
        public var lines: Int

        public init(sha256: String, lines: Int) {
            self.sha256 = sha256
            self.lines = lines
        }
    }

    /// The golden file's text: pretty JSON with sorted keys and a final newline.
    public func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain values cannot fail.
        let data = (try? encoder.encode(self)) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Reads a golden file's text.
    /// - Throws: `RegressionError` (.golden) naming `path`.
    public static func decode(_ text: String, path: String, suite: String, caseName: String) throws(RegressionError)
        -> CaseResult
    {
        do {
            return try JSONDecoder().decode(CaseResult.self, from: Data(text.utf8))
        } catch {
            throw RegressionError(
                .golden, "golden file \(path) is not a golden result: \(Self.describe(error))", suite: suite,
                caseName: caseName)
        }
    }

    private static func describe(_ error: Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let c), .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c):
            let path = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
            let where_ = path.isEmpty ? "" : " at \(path)"
            if case .keyNotFound(let key, _) = error as? DecodingError {
                return "missing '\(key.stringValue)'\(where_)"
            }
            return c.debugDescription.split(whereSeparator: \.isNewline).first.map(String.init).map { $0 + where_ }
                ?? "invalid"
        default: return "\(error)"
        }
    }
}
