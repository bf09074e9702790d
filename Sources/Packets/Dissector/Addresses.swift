/// An IPv4 address, held in host order (`0xC0000201` is 192.0.2.1).
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text such as `198.51.100.1`.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        self.value = value
    }

    /// The four bytes in network order.
    public var bytes: [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }

    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }
}

/// An IPv6 address as two 64-bit halves in host order.
public struct IPv6Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// From 16 bytes in network order.
    public init(bytes: some Collection<UInt8>) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (i, byte) in bytes.enumerated() {
            if i < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    /// From eight 16-bit groups.
    public init(groups: [UInt16]) {
        precondition(groups.count == 8, "an IPv6 address has eight groups")
        self.init(high: groups[0..<4].reduce(0) { $0 << 16 | UInt64($1) }, low: groups[4..<8].reduce(0) { $0 << 16 | UInt64($1) })
    }

    /// Parses RFC 4291 text: `2001:db8::1`, `::ffff:192.0.2.1`.
    public init?(_ text: some StringProtocol) {
        let string = String(text)
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        let halves = Self.splitOnGap(string)
        guard halves.count <= 2 else { return nil }
        func parse(_ part: String, into groups: inout [UInt16], allowIPv4: Bool) -> Bool {
            guard !part.isEmpty else { return true }
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, piece) in pieces.enumerated() {
                if allowIPv4, i == pieces.count - 1, piece.contains(".") {
                    guard let v4 = IPv4Address(piece) else { return false }
                    groups.append(UInt16(v4.value >> 16))
                    groups.append(UInt16(v4.value & 0xFFFF))
                } else {
                    guard (1...4).contains(piece.count), let group = UInt16(piece, radix: 16) else { return false }
                    groups.append(group)
                }
            }
            return true
        }
        if halves.count == 2 {
            sawGap = true
            guard parse(halves[0], into: &head, allowIPv4: false), parse(halves[1], into: &tail, allowIPv4: true) else {
                return nil
            }
        } else {
            guard parse(halves[0], into: &head, allowIPv4: true) else { return nil }
        }
        let missing = 8 - head.count - tail.count
        guard sawGap ? missing >= 1 : missing == 0 else { return nil }
        self.init(groups: head + [UInt16](repeating: 0, count: missing) + tail)
    }

    /// Splits `text` at each `::`.
    private static func splitOnGap(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var previousColon = false
        for ch in text {
            if ch == ":", previousColon {
                current.removeLast()
                parts.append(current)
                current = ""
                previousColon = false
                continue
            }
            current.append(ch)
            previousColon = ch == ":"
        }
        parts.append(current)
        return parts
    }

    /// The 16 bytes in network order.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
    }

    /// The eight 16-bit groups.
    public var groups: [UInt16] {
        (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64($0))) }
            + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64($0))) }
    }

    public static func < (a: Self, b: Self) -> Bool { (a.high, a.low) < (b.high, b.low) }

    /// The text glibc's `inet_ntop` prints: the longest run of two or more zero groups as `::`
    /// (the first of equal runs), lower-case hex, and the dotted form for IPv4-mapped and
    /// IPv4-compatible addresses.
    public var description: String {
        let words = groups
        var best = (base: -1, length: 0)
        var current = (base: -1, length: 0)
        for i in 0..<8 {
            if words[i] == 0 {
                if current.base == -1 { current = (i, 1) } else { current.length += 1 }
            } else if current.base != -1 {
                if best.base == -1 || current.length > best.length { best = current }
                current = (-1, 0)
            }
        }
        if current.base != -1, best.base == -1 || current.length > best.length { best = current }
        if best.base != -1, best.length < 2 { best = (-1, 0) }

        var text = ""
        var i = 0
        while i < 8 {
            if best.base != -1, i >= best.base, i < best.base + best.length {
                if i == best.base { text += ":" }
                i += 1
                continue
            }
            if i != 0 { text += ":" }
            if i == 6, best.base == 0, best.length == 6 || (best.length == 5 && words[5] == 0xFFFF) {
                text += IPv4Address(UInt32(words[6]) << 16 | UInt32(words[7])).description
                return text
            }
            text += String(words[i], radix: 16)
            i += 1
        }
        if best.base != -1, best.base + best.length == 8 { text += ":" }
        return text
    }
}

/// An IPv4 or IPv6 address.
public enum IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses either form.
    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    /// The address bytes in network order (4 or 16).
    public var bytes: [UInt8] {
        switch self {
        case .v4(let a): a.bytes
        case .v6(let a): a.bytes
        }
    }

    public var isIPv6: Bool { if case .v6 = self { true } else { false } }

    public static func < (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)): x < y
        case (.v6(let x), .v6(let y)): x < y
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }

    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }
}

/// A 48-bit Ethernet address.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8, _ f: UInt8) { bytes = (a, b, c, d, e, f) }

    public init(bytes list: some Collection<UInt8>) {
        precondition(list.count == 6, "a MAC address has 6 bytes")
        let b = Array(list)
        bytes = (b[0], b[1], b[2], b[3], b[4], b[5])
    }

    /// Parses `02:00:00:00:00:01`.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ":")
        guard parts.count == 6 else { return nil }
        var list: [UInt8] = []
        for part in parts {
            guard part.count == 2, let byte = UInt8(part, radix: 16) else { return nil }
            list.append(byte)
        }
        self.init(bytes: list)
    }

    public var array: [UInt8] { [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5] }

    public static func == (a: Self, b: Self) -> Bool { a.array == b.array }
    public func hash(into hasher: inout Hasher) { hasher.combine(array) }

    public var description: String {
        array.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: ":")
    }
}
