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

    public func load(offset: Int, size: Int, machine: BPFMachine) -> UInt64? {
        guard size == 4, let p = machine.packetPointers else { return nil }
        switch offset {
        case 0: return p.data
        case 4: return p.end
        case 8: return p.meta
        case 12: return UInt64(ingressInterface)
        case 16: return UInt64(rxQueueIndex)
        case 20: return UInt64(egressInterface)
        default: return nil
        }
    }

    public func store(offset: Int, size: Int, value: UInt64, machine: BPFMachine) -> Bool { false }
}
