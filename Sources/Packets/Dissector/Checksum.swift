/// The Internet checksum (RFC 1071): one's-complement sum of 16-bit big-endian words.
public struct InternetChecksum: Sendable {
    private var sum: UInt64 = 0
    private var odd = false

    public init() {}

    /// Adds bytes; an odd byte left over pairs with the first byte of the next call. The bulk is
    /// summed a word at a time by `onesComplementSum`, the same routine conntrack's checks use.
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress, bytes.count > 0 else { return }
        var n = bytes.count
        if odd {
            sum &+= UInt64(bytes[0])
            odd = false
            base += 1
            n -= 1
        }
        guard n > 0 else { return }
        sum &+= UInt64(onesComplementSum(base, count: n))
        odd = n & 1 == 1
    }

    public mutating func add(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { add($0) }
    }

    public mutating func add(word: UInt16) { sum &+= UInt64(word) }

    public mutating func add(word32: UInt32) {
        sum &+= UInt64(word32 >> 16) &+ UInt64(word32 & 0xFFFF)
    }

    /// Adds the IPv4 pseudo header (RFC 793/768).
    public mutating func addPseudoHeader(source: IPv4Address, destination: IPv4Address, protocolNumber: UInt8, length: Int) {
        add(word32: source.value)
        add(word32: destination.value)
        add(word: UInt16(protocolNumber))
        add(word32: UInt32(truncatingIfNeeded: length))
    }

    /// Adds the IPv6 pseudo header (RFC 8200 section 8.1).
    public mutating func addPseudoHeader(source: IPv6Address, destination: IPv6Address, protocolNumber: UInt8, length: Int) {
        for half in [source.high, source.low, destination.high, destination.low] {
            add(word32: UInt32(half >> 32))
            add(word32: UInt32(half & 0xFFFF_FFFF))
        }
        add(word32: UInt32(truncatingIfNeeded: length))
        add(word: UInt16(protocolNumber))
    }

    /// The folded one's-complement sum (0xFFFF when the data, checksum included, is correct).
    public var folded: UInt16 {
        var s = sum
        while s >> 16 != 0 { s = (s & 0xFFFF) &+ (s >> 16) }
        return UInt16(s)
    }

    /// The checksum to store in a header whose checksum field was zero while summing.
    public var value: UInt16 { ~folded }
}
