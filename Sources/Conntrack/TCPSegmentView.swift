/// The fields of a TCP segment the tracker reads, taken from the packet as the kernel's
/// `skb_header_pointer` would (big-endian, bounds checked by the caller).
struct TCPSegmentView {
    /// The TCP header.
    let header: UnsafeRawPointer
    /// Bytes from the TCP header to the end of the IP datagram (`skb->len - dataoff`).
    let length: Int
    let sequence: UInt32
    let acknowledgement: UInt32
    /// The flag byte (FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80).
    let flags: UInt8
    let window: UInt16
    /// Header length in bytes (`doff * 4`).
    let headerLength: Int

    init(header: UnsafeRawPointer, length: Int) {
        self.header = header
        self.length = length
        sequence = header.loadBE32(4)
        acknowledgement = header.loadBE32(8)
        headerLength = Int(header.load(fromByteOffset: 12, as: UInt8.self) >> 4) * 4
        flags = header.load(fromByteOffset: 13, as: UInt8.self)
        window = header.loadBE16(14)
    }

    var syn: Bool { flags & 0x02 != 0 }
    var ack: Bool { flags & 0x10 != 0 }
    var fin: Bool { flags & 0x01 != 0 }
    var rst: Bool { flags & 0x04 != 0 }

    /// `get_conntrack_index`.
    var index: TCPFlagIndex {
        if rst { return .rst }
        if syn { return ack ? .synAck : .syn }
        if fin { return .fin }
        if ack { return .ack }
        return .none
    }

    /// `segment_seq_plus_len`: sequence + payload length + SYN + FIN.
    var end: UInt32 {
        sequence &+ UInt32(truncatingIfNeeded: length - headerLength) &+ (syn ? 1 : 0) &+ (fin ? 1 : 0)
    }

    /// `tcp_options`: window scale and SACK-permitted into `state` (untouched when the header
    /// has no options).
    func readOptions(into state: inout TCPWindowState) {
        var length = headerLength - 20
        guard length > 0 else { return }
        state.scale = 0
        state.flags = state.flags.intersection(.beLiberal)
        var p = 20
        while length > 0 {
            let opcode = header.load(fromByteOffset: p, as: UInt8.self)
            p += 1
            switch opcode {
            case 0: return
            case 1:
                length -= 1
                continue
            default:
                if length < 2 { return }
                let size = Int(header.load(fromByteOffset: p, as: UInt8.self))
                p += 1
                if size < 2 || size > length { return }
                if opcode == 4, size == 2 {
                    state.flags.insert(.sackPermitted)
                } else if opcode == 3, size == 3 {
                    state.scale = min(header.load(fromByteOffset: p, as: UInt8.self), 14)
                    state.flags.insert(.windowScale)
                }
                p += size - 2
                length -= size
            }
        }
    }

    /// `tcp_sack`: the highest right edge of the first SACK option's blocks after `sack`.
    func highestSACK(above start: UInt32) -> UInt32 {
        var sack = start
        var length = headerLength - 20
        guard length > 0 else { return sack }
        if length == 12, header.loadBE32(20) == 0x0101_080A { return sack }
        var p = 20
        while length > 0 {
            let opcode = header.load(fromByteOffset: p, as: UInt8.self)
            p += 1
            switch opcode {
            case 0: return sack
            case 1:
                length -= 1
                continue
            default:
                if length < 2 { return sack }
                let size = Int(header.load(fromByteOffset: p, as: UInt8.self))
                p += 1
                if size < 2 || size > length { return sack }
                if opcode == 5, size >= 10, (size - 2) % 8 == 0 {
                    var i = 0
                    while i < size - 2 {
                        let right = header.loadBE32(p + i + 4)
                        if after(right, sack) { sack = right }
                        i += 8
                    }
                    return sack
                }
                p += size - 2
                length -= size
            }
        }
        return sack
    }
}

extension UnsafeRawPointer {
    @inline(__always)
    func loadBE16(_ offset: Int) -> UInt16 { UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }

    @inline(__always)
    func loadBE32(_ offset: Int) -> UInt32 { UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }

    @inline(__always)
    func loadBE64(_ offset: Int) -> UInt64 { UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
}

/// Sequence-number order (`before`/`after` of `include/net/tcp.h`).
@inline(__always)
func before(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) < 0 }

@inline(__always)
func after(_ a: UInt32, _ b: UInt32) -> Bool { before(b, a) }

@inline(__always)
func afterOrEqual(_ a: UInt32, _ b: UInt32) -> Bool { !before(a, b) }
