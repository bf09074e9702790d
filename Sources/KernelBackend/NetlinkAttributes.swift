/// A read-only walk over netlink attributes (`struct nlattr`: u16 length, u16 type, payload,
/// padded to 4 bytes), enough to read nested ctnetlink attributes libnetfilter_conntrack 1.0.9
/// has no getter for.
struct NetlinkAttributes: Sequence {
    /// Type bits without NLA_F_NESTED and NLA_F_NET_BYTEORDER.
    static let typeMask: UInt16 = 0x3FFF

    let buffer: UnsafeRawBufferPointer

    /// The attributes of a netfilter netlink message: after the 16-byte `nlmsghdr` and the 4-byte
    /// `nfgenmsg`.
    static func ofNetfilterMessage(_ message: UnsafeRawPointer) -> NetlinkAttributes {
        let length = Int(message.loadUnaligned(as: UInt32.self))
        let start = 20
        guard length > start else { return NetlinkAttributes(buffer: UnsafeRawBufferPointer(start: message, count: 0)) }
        return NetlinkAttributes(buffer: UnsafeRawBufferPointer(start: message + start, count: length - start))
    }

    struct Attribute {
        let type: UInt16
        let payload: UnsafeRawBufferPointer

        var nested: NetlinkAttributes { NetlinkAttributes(buffer: payload) }
        var u8: UInt8? { payload.count >= 1 ? payload[0] : nil }
        /// A big-endian u16 (ports, ICMP ids).
        var u16BigEndian: UInt16? { payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil }
    }

    struct Iterator: IteratorProtocol {
        let buffer: UnsafeRawBufferPointer
        var offset = 0

        mutating func next() -> Attribute? {
            guard offset + 4 <= buffer.count else { return nil }
            let length = Int(UInt16(buffer[offset]) | UInt16(buffer[offset + 1]) << 8)
            let type = (UInt16(buffer[offset + 2]) | UInt16(buffer[offset + 3]) << 8) & NetlinkAttributes.typeMask
            guard length >= 4, offset + length <= buffer.count else { return nil }
            let payload = UnsafeRawBufferPointer(rebasing: buffer[(offset + 4)..<(offset + length)])
            offset += (length + 3) & ~3
            return Attribute(type: type, payload: payload)
        }
    }

    func makeIterator() -> Iterator { Iterator(buffer: buffer) }

    func first(type: UInt16) -> Attribute? { first { $0.type == type } }
}
