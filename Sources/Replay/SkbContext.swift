import BPFVM

/// `struct __sk_buff` as a SCHED_CLS program sees it (`tc_cls_act_convert_ctx_access`): `data`,
/// `data_end`, `data_meta` are packet pointers, `len` follows the packet, `protocol` is the
/// big-endian EtherType as stored; `mark`, `priority`, `tc_index`, `cb[]`, `tc_classid`,
/// `queue_mapping` and `tstamp` are writable and kept across the run.
public final class SkbContext: ContextAccess {
    public var mark: UInt32 = 0
    public var priority: UInt32 = 0
    public var tcIndex: UInt32 = 0
    public var cb: [UInt32] = [0, 0, 0, 0, 0]
    public var hash: UInt32 = 0
    public var tcClassID: UInt32 = 0
    public var queueMapping: UInt32 = 0
    public var tstamp: UInt64 = 0
    public var ifindex: UInt32
    public var ingressInterface: UInt32 = 0
    public var packetType: UInt32 = 0
    /// skb->protocol in network order, as the kernel stores it.
    public var protocolBE: UInt16 = 0
    public var wireLength: UInt32 = 0

    /// BPF_PROG_TEST_RUN runs on the loopback device (ifindex 1).
    public init(ifindex: UInt32 = 1) { self.ifindex = ifindex }

    /// Sets what the kernel derives from the frame (`eth_type_trans`): the protocol.
    public func prepare(frame: [UInt8]) {
        frame.withUnsafeBytes { prepare(bytes: $0) }
    }

    /// Sets what the kernel derives from the frame (`eth_type_trans`): the protocol.
    public func prepare(bytes frame: UnsafeRawBufferPointer) {
        protocolBE = frame.count >= 14 ? UInt16(frame[12]) << 8 | UInt16(frame[13]) : 0
        wireLength = UInt32(frame.count)
    }

    public func load(offset: Int, size: Int, machine: BPFMachine) -> UInt64? {
        if offset == 152, size == 8 { return tstamp }
        if offset == 184, size == 8 { return 0 }  // hwtstamp
        guard size == 4 || (size < 4 && !Self.pointerFields.contains(offset & ~3)) else { return nil }
        guard let full = word(offset & ~3, machine: machine) else { return nil }
        if size == 4 { return full }
        let shift = UInt64((offset & 3) * 8)
        return (full >> shift) & ((1 << UInt64(size * 8)) - 1)
    }

    static let pointerFields: Set<Int> = [76, 80, 140]

    func word(_ offset: Int, machine: BPFMachine) -> UInt64? {
        let p = machine.packetPointers
        switch offset {
        case 0: return UInt64(machine.packet?.length ?? 0)
        case 4: return UInt64(packetType)
        case 8: return UInt64(mark)
        case 12: return UInt64(queueMapping)
        case 16: return UInt64(protocolBE.byteSwapped)
        case 20, 24, 28: return 0  // vlan_present, vlan_tci, vlan_proto
        case 32: return UInt64(priority)
        case 36: return UInt64(ingressInterface)
        case 40: return UInt64(ifindex)
        case 44: return UInt64(tcIndex)
        case 48, 52, 56, 60, 64: return UInt64(cb[(offset - 48) / 4])
        case 68: return UInt64(hash)
        case 72: return UInt64(tcClassID)
        case 76: return p?.data
        case 80: return p?.end
        case 84: return 0  // napi_id
        case 140: return p?.meta
        case 160: return UInt64(machine.packet?.length ?? 0)  // wire_len
        case 164, 176: return 0  // gso_segs, gso_size
        case 180: return 0  // tstamp_type
        default: return nil
        }
    }

    public func store(offset: Int, size: Int, value: UInt64, machine: BPFMachine) -> Bool {
        if offset == 152, size == 8 {
            tstamp = value
            return true
        }
        guard size == 4 else { return false }
        let v = UInt32(truncatingIfNeeded: value)
        switch offset {
        case 8: mark = v
        case 12: queueMapping = v
        case 32: priority = v
        case 44: tcIndex = v
        case 48, 52, 56, 60, 64: cb[(offset - 48) / 4] = v
        case 72: tcClassID = v
        default: return false
        }
        return true
    }
}
