/// Packet helpers of XDP and TC programs, on `machine.packet`.
enum PacketHelpers {
    static let EFAULT: Int32 = 14
    static let EACCES: Int32 = 13
    static let ethernetHeader = 14
    /// sizeof(struct xdp_frame): the kernel keeps it in front of the headroom.
    static let xdpFrameSize = 40

    static func errno(_ e: Int32) -> HelperOutcome { .value(UInt64(bitPattern: Int64(-e))) }

    static func packet(_ call: HelperCall, _ name: String) throws(VMError) -> PacketBuffer {
        guard let packet = call.machine.packet else { throw call.fault("\(name): the run has no packet") }
        return packet
    }

    static func xdpAdjustHead(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let p = try packet(call, "bpf_xdp_adjust_head")
        let delta = Int(Int32(truncatingIfNeeded: call.r2))
        let metaLength = p.dataStart - p.metaStart
        let data = p.dataStart + delta
        guard data >= xdpFrameSize + metaLength, data <= p.dataEnd - ethernetHeader else { return errno(Errno.EINVAL) }
        if metaLength > 0 {
            (p.storage + p.metaStart + delta).copyMemory(from: p.storage + p.metaStart, byteCount: metaLength)
        }
        p.metaStart += delta
        p.dataStart = data
        call.machine.updatePacketRegion()
        return .value(0)
    }

    static func xdpAdjustMeta(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let p = try packet(call, "bpf_xdp_adjust_meta")
        let delta = Int(Int32(truncatingIfNeeded: call.r2))
        let meta = p.metaStart + delta
        guard meta >= xdpFrameSize, meta <= p.dataStart else { return errno(Errno.EINVAL) }
        let length = p.dataStart - meta
        guard length % 4 == 0, length <= 32 else { return errno(EACCES) }
        p.metaStart = meta
        call.machine.updatePacketRegion()
        return .value(0)
    }

    static func xdpAdjustTail(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let p = try packet(call, "bpf_xdp_adjust_tail")
        let delta = Int(Int32(truncatingIfNeeded: call.r2))
        let end = p.dataEnd + delta
        guard end <= p.capacity, end >= p.dataStart + ethernetHeader else { return errno(Errno.EINVAL) }
        if delta > 0 { (p.storage + p.dataEnd).initializeMemory(as: UInt8.self, repeating: 0, count: delta) }
        p.dataEnd = end
        call.machine.updatePacketRegion()
        return .value(0)
    }

    static func skbLoadBytes(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let p = try packet(call, "bpf_skb_load_bytes")
        let length = Int(UInt32(truncatingIfNeeded: call.r4))
        let to = try call.pointer(call.r3, count: length, write: true, "bpf_skb_load_bytes destination")
        let offset = call.r2
        guard offset <= UInt64(Int32.max), Int(offset) + length <= p.length else {
            to.initializeMemory(as: UInt8.self, repeating: 0, count: length)
            return errno(EFAULT)
        }
        to.copyMemory(from: p.storage + p.dataStart + Int(offset), byteCount: length)
        return .value(0)
    }

    static func skbStoreBytes(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let p = try packet(call, "bpf_skb_store_bytes")
        guard call.r5 & ~3 == 0 else { return errno(Errno.EINVAL) }
        let length = Int(UInt32(truncatingIfNeeded: call.r4))
        let from = try call.pointer(call.r3, count: length, write: false, "bpf_skb_store_bytes source")
        let offset = call.r2
        guard offset <= 0xFFFF, Int(offset) + length <= p.length else { return errno(EFAULT) }
        (p.storage + p.dataStart + Int(offset)).copyMemory(from: from, byteCount: length)
        return .value(0)
    }

    /// The 16-bit checksum field at `offset` of the packet, as stored (network order bytes read little-endian).
    static func checksumField(_ p: PacketBuffer, _ offset: UInt64) -> UnsafeMutableRawPointer? {
        guard offset <= 0xFFFF, Int(offset) + 2 <= p.length else { return nil }
        return p.storage + p.dataStart + Int(offset)
    }

    static func l3CsumReplace(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let p = try packet(call, "bpf_l3_csum_replace")
        guard call.r5 & ~0xF == 0 else { return errno(Errno.EINVAL) }
        guard let field = checksumField(p, call.r2) else { return errno(EFAULT) }
        let sum = field.loadUnaligned(as: UInt16.self)
        guard let updated = Checksum.replace(sum, from: call.r3, to: call.r4, size: Int(call.r5 & 0xF)) else { return errno(Errno.EINVAL) }
        field.storeBytes(of: updated, as: UInt16.self)
        return .value(0)
    }

    static func l4CsumReplace(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let p = try packet(call, "bpf_l4_csum_replace")
        let pseudoHeader: UInt64 = 1 << 4, mangled0: UInt64 = 1 << 5, enforce: UInt64 = 1 << 6
        guard call.r5 & ~(pseudoHeader | mangled0 | enforce | 0xF) == 0 else { return errno(Errno.EINVAL) }
        guard let field = checksumField(p, call.r2) else { return errno(EFAULT) }
        let sum = field.loadUnaligned(as: UInt16.self)
        let markZero = call.r5 & mangled0 != 0
        if markZero && sum == 0 { return .value(0) }
        guard var updated = Checksum.replace(sum, from: call.r3, to: call.r4, size: Int(call.r5 & 0xF)) else { return errno(Errno.EINVAL) }
        if markZero && updated == 0 { updated = 0xFFFF }
        field.storeBytes(of: updated, as: UInt16.self)
        return .value(0)
    }

    /// `bpf_csum_diff` as Linux 6.18 computes it (checked against the kernel in
    /// `KernelHelperTests`): any sizes (no multiple-of-4 rule any more), the sum of `to` from the
    /// seed less the sum of `from`, folded to 16 bits.
    static func csumDiff(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let fromSize = Int(UInt32(truncatingIfNeeded: call.r2)), toSize = Int(UInt32(truncatingIfNeeded: call.r4))
        let from = fromSize == 0 ? nil : try call.pointer(call.r1, count: fromSize, write: false, "bpf_csum_diff from")
        let to = toSize == 0 ? nil : try call.pointer(call.r3, count: toSize, write: false, "bpf_csum_diff to")
        let seed = UInt32(truncatingIfNeeded: call.r5)
        return .value(UInt64(Checksum.diff(from: from, fromSize, to: to, toSize, seed: seed)))
    }

    static func hashRecalc(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let p = try packet(call, "bpf_get_hash_recalc")
        var hash: UInt32 = 0x811C_9DC5
        for byte in p.bytes {
            hash ^= UInt32(byte)
            hash &*= 0x0100_0193
        }
        return .value(UInt64(hash))
    }

    static func redirect(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let machine = call.machine
        switch machine.configuration.programType {
        case .xdp:
            guard call.r2 == 0 else { return .value(0) }  // XDP_ABORTED
            machine.redirect = .interface(ifindex: UInt32(truncatingIfNeeded: call.r1), flags: call.r2)
            return .value(4)  // XDP_REDIRECT
        default:
            guard call.r2 & ~1 == 0 else { return .value(2) }  // TC_ACT_SHOT; BPF_F_INGRESS = 1
            machine.redirect = .interface(ifindex: UInt32(truncatingIfNeeded: call.r1), flags: call.r2)
            return .value(7)  // TC_ACT_REDIRECT
        }
    }

    /// bpf_redirect_map: redirects when the key is in the map, else returns the action in the
    /// flags' low two bits (devmap/cpumap/xskmap are modelled by any map holding the key).
    static func redirectMap(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let map = try StandardHelpers.map(call.r1, call)
        let key = UInt32(truncatingIfNeeded: call.r2)
        var present = false
        if map.definition.keySize == 4 {
            present = map.lookup(key: withUnsafeBytes(of: key.littleEndian) { [UInt8]($0) }) != nil
        }
        guard present else { return .value(call.r3 & 3) }
        call.machine.redirect = .map(index: map.index, key: key, flags: call.r3)
        return .value(4)
    }
}

/// Ones' complement arithmetic as the kernel's csum helpers do it. Values are taken as they are
/// in memory (the sum is byte-order independent, so the raw little-endian loads work).
enum Checksum {
    static func fold(_ value: UInt64) -> UInt16 {
        var v = value
        while v >> 16 != 0 { v = (v & 0xFFFF) + (v >> 16) }
        return UInt16(v)
    }

    /// `csum_replace2/4` or, with size 0, `csum_replace_by_diff`: nil for another size.
    static func replace(_ sum: UInt16, from: UInt64, to: UInt64, size: Int) -> UInt16? {
        let notSum = UInt64(~sum)
        switch size {
        case 0:
            return ~fold(notSum + (to & 0xFFFF_FFFF))
        case 2:
            return ~fold(notSum + UInt64(~UInt16(truncatingIfNeeded: from)) + (to & 0xFFFF))
        case 4:
            return ~fold(notSum + UInt64(~UInt32(truncatingIfNeeded: from)) + (to & 0xFFFF_FFFF))
        default:
            return nil
        }
    }

    /// The kernel's `csum_partial` on x86-64: the ones' complement sum of the bytes as
    /// little-endian 16-bit words (a trailing odd byte as the low byte) added to `seed`.
    static func partial(_ p: UnsafeRawPointer?, _ count: Int, _ seed: UInt32) -> UInt32 {
        var sum: UInt64 = 0
        if let p {
            var i = 0
            while i + 1 < count {
                sum += UInt64(p.load(fromByteOffset: i, as: UInt8.self)) | UInt64(p.load(fromByteOffset: i + 1, as: UInt8.self)) << 8
                i += 2
            }
            if i < count { sum += UInt64(p.load(fromByteOffset: i, as: UInt8.self)) }
        }
        while sum >> 32 != 0 { sum = (sum & 0xFFFF_FFFF) + (sum >> 32) }
        return add(UInt32(sum), seed)
    }

    /// `csum_add`: 32-bit addition with the end-around carry.
    static func add(_ a: UInt32, _ b: UInt32) -> UInt32 {
        let (s, carry) = a.addingReportingOverflow(b)
        return carry ? s &+ 1 : s
    }

    /// `bpf_csum_diff` (Linux 6.18): `csum_sub(csum_partial(to, seed), csum_partial(from, 0))`
    /// with either side absent handled as the kernel does, folded to 16 bits (`csum_from32to16`).
    static func diff(from: UnsafeRawPointer?, _ fromSize: Int, to: UnsafeRawPointer?, _ toSize: Int, seed: UInt32) -> UInt32 {
        let result: UInt32
        if fromSize > 0, toSize > 0 {
            result = add(partial(to, toSize, seed), ~partial(from, fromSize, 0))
        } else if toSize > 0 {
            result = partial(to, toSize, seed)
        } else if fromSize > 0 {
            result = ~partial(from, fromSize, ~seed)
        } else {
            result = seed
        }
        var folded = (result & 0xFFFF) + (result >> 16)
        folded = (folded & 0xFFFF) + (folded >> 16)
        return folded
    }
}
