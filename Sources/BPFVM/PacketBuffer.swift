/// The packet a program runs on: bytes with headroom in front (for `bpf_xdp_adjust_head` and
/// metadata) and tailroom behind (for `bpf_xdp_adjust_tail`), as the kernel's `xdp_buff` has.
///
/// Addresses into the packet region are stable across adjustments: byte `i` of the whole buffer
/// has low address `i`; the accessible window is `metaStart ..< dataEnd`.
///
/// Everything outside the window is zero when a packet is placed (as the kernel's test run
/// allocates it zeroed). A buffer can be reused for the next packet with `reset(_:)`: only the
/// bytes any window reached since the last reset are zeroed again, not the whole buffer.
public final class PacketBuffer {
    public static let defaultHeadroom = 256
    public static let defaultTailroom = 256
    /// Where an XDP frame's data may end at most, from its hard start (`frame_sz` 4096 less the
    /// 320-byte `skb_shared_info` that BPF_PROG_TEST_RUN reserves): 3520 bytes of data after the
    /// default 256-byte headroom.
    public static let xdpFrameEnd = 4096 - 320

    let storage: UnsafeMutableRawPointer
    public let capacity: Int
    let headroom: Int
    let tailroom: Int
    /// The window and the union of every window since the last reset (the only bytes that may be
    /// non-zero), behind a pointer so that reading them costs no exclusivity check.
    struct Window {
        var metaStart: Int
        var dataStart: Int
        var dataEnd: Int
        var touchedLow: Int
        var touchedHigh: Int

        init(start: Int, end: Int) {
            (metaStart, dataStart, dataEnd, touchedLow, touchedHigh) = (start, start, end, start, end)
        }
    }

    let window: UnsafeMutablePointer<Window>

    /// Offsets into the buffer.
    public internal(set) var metaStart: Int {
        @inline(__always) get { window.pointee.metaStart }
        set {
            window.pointee.metaStart = newValue
            if newValue < window.pointee.touchedLow { window.pointee.touchedLow = newValue }
        }
    }
    public internal(set) var dataStart: Int {
        @inline(__always) get { window.pointee.dataStart }
        set { window.pointee.dataStart = newValue }
    }
    public internal(set) var dataEnd: Int {
        @inline(__always) get { window.pointee.dataEnd }
        set {
            window.pointee.dataEnd = newValue
            if newValue > window.pointee.touchedHigh { window.pointee.touchedHigh = newValue }
        }
    }

    public init(_ bytes: [UInt8], headroom: Int = PacketBuffer.defaultHeadroom, tailroom: Int = PacketBuffer.defaultTailroom) {
        // At least the kernel's XDP test-run frame: 4096 bytes from the hard start less the
        // 320-byte skb_shared_info, so bpf_xdp_adjust_tail grows as far as the kernel lets it.
        capacity = Self.capacity(for: bytes.count, headroom: headroom, tailroom: tailroom)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(capacity, 1), alignment: 8)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: max(capacity, 1))
        bytes.withUnsafeBytes { if let base = $0.baseAddress { (storage + headroom).copyMemory(from: base, byteCount: bytes.count) } }
        self.storage = storage
        self.headroom = headroom
        self.tailroom = tailroom
        window = .allocate(capacity: 1)
        window.initialize(to: Window(start: headroom, end: headroom + bytes.count))
    }

    deinit {
        storage.deallocate()
        window.deallocate()
    }

    static func capacity(for count: Int, headroom: Int, tailroom: Int) -> Int {
        max(headroom + count + tailroom, xdpFrameEnd)
    }

    /// Whether `reset` can place a packet of `count` bytes here (it needs the same room a new
    /// buffer would have).
    public func fits(_ count: Int) -> Bool { Self.capacity(for: count, headroom: headroom, tailroom: tailroom) <= capacity }

    /// Places `bytes` as a new packet: the buffer is then as `init` would have made it (same
    /// headroom, zero outside the window), without allocating. `bytes` must `fit`.
    public func reset(_ bytes: UnsafeRawBufferPointer) {
        precondition(fits(bytes.count), "packet of \(bytes.count) bytes does not fit a buffer of \(capacity)")
        let w = window.pointee
        let count = bytes.count
        // Zero what the last packet's windows reached beyond where this one's bytes go.
        if w.touchedLow < headroom {
            (storage + w.touchedLow).initializeMemory(as: UInt8.self, repeating: 0, count: headroom - w.touchedLow)
        }
        if w.touchedHigh > headroom + count {
            let from = max(w.touchedLow, headroom + count)
            (storage + from).initializeMemory(as: UInt8.self, repeating: 0, count: w.touchedHigh - from)
        }
        if let base = bytes.baseAddress { (storage + headroom).copyMemory(from: base, byteCount: count) }
        window.pointee = Window(start: headroom, end: headroom + count)
    }

    /// The packet bytes (data ... data_end).
    public var bytes: [UInt8] { [UInt8](UnsafeRawBufferPointer(start: storage + dataStart, count: dataEnd - dataStart)) }
    /// The packet bytes (data ... data_end) without copying, valid until the buffer changes.
    public var dataBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage + dataStart, count: dataEnd - dataStart) }
    /// The metadata bytes (data_meta ... data).
    public var metadata: [UInt8] { [UInt8](UnsafeRawBufferPointer(start: storage + metaStart, count: dataStart - metaStart)) }
    public var length: Int { dataEnd - dataStart }
}

extension BPFMachine {
    /// Makes `bytes` the packet of the next run, reusing the current packet buffer when it has
    /// room (no allocation; the result is the same as `packet = PacketBuffer(bytes)`).
    public func setPacket(_ bytes: UnsafeRawBufferPointer) {
        if let packet, packet.fits(bytes.count), packet.headroom == PacketBuffer.defaultHeadroom,
            packet.tailroom == PacketBuffer.defaultTailroom
        {
            packet.reset(bytes)
            updatePacketRegion()
        } else {
            packet = PacketBuffer([UInt8](bytes))
        }
    }
}
