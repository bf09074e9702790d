import BPFVM

/// `struct xdp_md` as the kernel presents it (`xdp_convert_ctx_access`): 32-bit loads of
/// `data`, `data_end`, `data_meta` give packet pointers; the interface fields are plain values.
/// The context is read-only.
public final class XDPContext: ContextAccess {
    public var ingressInterface: UInt32
    public var rxQueueIndex: UInt32
    public var egressInterface: UInt32 = 0

    /// BPF_PROG_TEST_RUN without ctx_in runs on the loopback device (ifindex 1), queue 0.
    public init(ingressInterface: UInt32 = 1, rxQueueIndex: UInt32 = 0) {
        self.ingressInterface = ingressInterface
        self.rxQueueIndex = rxQueueIndex
    }

    /// The packet of the current run when the session set it (saves asking the machine per load).
    var packet: PacketBuffer?

    public func load(offset: Int, size: Int, machine: BPFMachine) -> UInt64? {
        guard size == 4 else { return nil }
        let tag = UInt64(MemoryMap.packetTag) << 32
        switch offset {
        case 0, 4, 8:
            guard let buffer = packet ?? machine.packet else { return nil }
            return tag | UInt64(offset == 0 ? buffer.dataStart : offset == 4 ? buffer.dataEnd : buffer.metaStart)
        case 12: return UInt64(ingressInterface)
        case 16: return UInt64(rxQueueIndex)
        case 20: return UInt64(egressInterface)
        default: return nil
        }
    }

    public func store(offset: Int, size: Int, value: UInt64, machine: BPFMachine) -> Bool { false }
}
