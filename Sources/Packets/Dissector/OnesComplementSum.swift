/// The one's-complement sum of `count` bytes at `p` plus `initial`, folded to 16 bits (0xFFFF
/// when data that includes its checksum is correct). Word-at-a-time for the hot path.
@inlinable @inline(__always)
public func onesComplementSum(_ p: UnsafeRawPointer, count: Int, initial: UInt64 = 0) -> UInt16 {
    var sum = initial
    var i = 0
    while i + 8 <= count {
        let word = UInt64(bigEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        sum &+= word >> 32
        sum &+= word & 0xFFFF_FFFF
        i += 8
    }
    if i + 4 <= count {
        sum &+= UInt64(UInt32(bigEndian: p.loadUnaligned(fromByteOffset: i, as: UInt32.self)))
        i += 4
    }
    if i + 2 <= count {
        sum &+= UInt64(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: i, as: UInt16.self)))
        i += 2
    }
    if i < count {
        sum &+= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << 8
    }
    while sum >> 16 != 0 { sum = (sum & 0xFFFF) &+ (sum >> 16) }
    return UInt16(sum)
}

/// The pseudo-header sum of a tuple's addresses, a protocol and a length (RFC 768/793, RFC 8200).
@inlinable @inline(__always)
public func pseudoHeaderSum(
    family: UInt8, sourceHigh: UInt64, sourceLow: UInt64, destinationHigh: UInt64, destinationLow: UInt64,
    protocolNumber: UInt8, length: Int
) -> UInt64 {
    func words(_ x: UInt64) -> UInt64 { (x >> 32) &+ (x & 0xFFFF_FFFF) }
    var sum = words(sourceLow) &+ words(destinationLow) &+ UInt64(protocolNumber) &+ UInt64(UInt32(truncatingIfNeeded: length))
    if family == 10 { sum &+= words(sourceHigh) &+ words(destinationHigh) }
    return sum
}
