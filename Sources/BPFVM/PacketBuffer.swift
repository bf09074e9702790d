/// The packet a program runs on: bytes with headroom in front (for `bpf_xdp_adjust_head` and
/// metadata) and tailroom behind (for `bpf_xdp_adjust_tail`), as the kernel's `xdp_buff` has.
///
/// Addresses into the packet region are stable across adjustments: byte `i` of the whole buffer
/// has low address `i`; the accessible window is `metaStart ..< dataEnd`.
public final class PacketBuffer {
    public static let defaultHeadroom = 256
    public static let defaultTailroom = 256
    /// Where an XDP frame's data may end at most, from its hard start (`frame_sz` 4096 less the
    /// 320-byte `skb_shared_info` that BPF_PROG_TEST_RUN reserves): 3520 bytes of data after the
    /// default 256-byte headroom.
    public static let xdpFrameEnd = 4096 - 320

    let storage: UnsafeMutableRawPointer
    public let capacity: Int
    /// Offsets into the buffer.
    public internal(set) var metaStart: Int
    public internal(set) var dataStart: Int
    public internal(set) var dataEnd: Int

    public init(_ bytes: [UInt8], headroom: Int = PacketBuffer.defaultHeadroom, tailroom: Int = PacketBuffer.defaultTailroom) {
        // At least the kernel's XDP test-run frame: 4096 bytes from the hard start less the
        // 320-byte skb_shared_info, so bpf_xdp_adjust_tail grows as far as the kernel lets it.
        capacity = max(headroom + bytes.count + tailroom, Self.xdpFrameEnd)
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
