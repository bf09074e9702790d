/// The packet a program runs on: bytes with headroom in front (for `bpf_xdp_adjust_head` and
/// metadata) and tailroom behind (for `bpf_xdp_adjust_tail`), as the kernel's `xdp_buff` has.
///
/// Addresses into the packet region are stable across adjustments: byte `i` of the whole buffer
/// has low address `i`; the accessible window is `metaStart ..< dataEnd`.
public final class PacketBuffer {
    public static let defaultHeadroom = 256
    public static let defaultTailroom = 256

    let storage: UnsafeMutableRawPointer
    public let capacity: Int
    /// Offsets into the buffer.
    public internal(set) var metaStart: Int
    public internal(set) var dataStart: Int
    public internal(set) var dataEnd: Int

    public init(_ bytes: [UInt8], headroom: Int = PacketBuffer.defaultHeadroom, tailroom: Int = PacketBuffer.defaultTailroom) {
        capacity = headroom + bytes.count + tailroom
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(capacity, 1), alignment: 8)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: max(capacity, 1))
        bytes.withUnsafeBytes { if let base = $0.baseAddress { (storage + headroom).copyMemory(from: base, byteCount: bytes.count) } }
        self.storage = storage
        metaStart = headroom
        dataStart = headroom
        dataEnd = headroom + bytes.count
    }

    deinit { storage.deallocate() }

    /// The packet bytes (data ... data_end).
    public var bytes: [UInt8] { [UInt8](UnsafeRawBufferPointer(start: storage + dataStart, count: dataEnd - dataStart)) }
    /// The metadata bytes (data_meta ... data).
    public var metadata: [UInt8] { [UInt8](UnsafeRawBufferPointer(start: storage + metaStart, count: dataStart - metaStart)) }
    public var length: Int { dataEnd - dataStart }
}
