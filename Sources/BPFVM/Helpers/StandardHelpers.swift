/// The helpers the VM models, with the kernel's numbers, argument checks and errno values.
public enum StandardHelpers {
    public static var all: [Helper] {
        [
            Helper(id: 1, name: "bpf_map_lookup_elem", mapLookup),
            Helper(id: 2, name: "bpf_map_update_elem", mapUpdate),
            Helper(id: 3, name: "bpf_map_delete_elem", mapDelete),
            Helper(id: 5, name: "bpf_ktime_get_ns") { call in .value(call.machine.clock.nanoseconds) },
            Helper(id: 125, name: "bpf_ktime_get_boot_ns") { call in .value(call.machine.clock.nanoseconds) },
            Helper(id: 160, name: "bpf_ktime_get_coarse_ns") { call in .value(call.machine.clock.nanoseconds) },
            Helper(id: 208, name: "bpf_ktime_get_tai_ns") { call in .value(call.machine.clock.nanoseconds) },
            Helper(id: 118, name: "bpf_jiffies64") { call in
                let ns = call.machine.clock.nanoseconds
                return .value(ns / 1_000_000_000 * call.machine.configuration.hz
                    + ns % 1_000_000_000 * call.machine.configuration.hz / 1_000_000_000)
            },
            Helper(id: 6, name: "bpf_trace_printk", tracePrintk),
            Helper(id: 7, name: "bpf_get_prandom_u32") { call in .value(call.machine.nextRandom() & 0xFFFF_FFFF) },
            Helper(id: 8, name: "bpf_get_smp_processor_id") { call in .value(UInt64(call.machine.configuration.cpu)) },
            Helper(id: 9, name: "bpf_skb_store_bytes", PacketHelpers.skbStoreBytes),
            Helper(id: 10, name: "bpf_l3_csum_replace", PacketHelpers.l3CsumReplace),
            Helper(id: 11, name: "bpf_l4_csum_replace", PacketHelpers.l4CsumReplace),
            Helper(id: 12, name: "bpf_tail_call", tailCall),
            Helper(id: 23, name: "bpf_redirect", PacketHelpers.redirect),
            Helper(id: 26, name: "bpf_skb_load_bytes", PacketHelpers.skbLoadBytes),
            Helper(id: 28, name: "bpf_csum_diff", PacketHelpers.csumDiff),
            Helper(id: 34, name: "bpf_get_hash_recalc", PacketHelpers.hashRecalc),
            Helper(id: 44, name: "bpf_xdp_adjust_head", PacketHelpers.xdpAdjustHead),
            Helper(id: 51, name: "bpf_redirect_map", PacketHelpers.redirectMap),
            Helper(id: 54, name: "bpf_xdp_adjust_meta", PacketHelpers.xdpAdjustMeta),
            Helper(id: 65, name: "bpf_xdp_adjust_tail", PacketHelpers.xdpAdjustTail),
            Helper(id: 130, name: "bpf_ringbuf_output", ringbufOutput),
            Helper(id: 131, name: "bpf_ringbuf_reserve", ringbufReserve),
            Helper(id: 132, name: "bpf_ringbuf_submit") { (call) throws(VMError) -> HelperOutcome in try ringbufFinish(call, submit: true) },
            Helper(id: 133, name: "bpf_ringbuf_discard") { (call) throws(VMError) -> HelperOutcome in try ringbufFinish(call, submit: false) },
            Helper(id: 134, name: "bpf_ringbuf_query", ringbufQuery),
            Helper(id: 164, name: "bpf_for_each_map_elem", CallbackHelpers.forEachMapElement),
            Helper(id: 181, name: "bpf_loop", CallbackHelpers.loop),
        ]
    }

    static func errno(_ e: Int32) -> HelperOutcome { .value(UInt64(bitPattern: Int64(-e))) }

    /// The map an argument register points at, or a fault.
    static func map(_ address: UInt64, _ call: HelperCall, _ argument: String = "R1") throws(VMError) -> BPFMap {
        let machine = call.machine
        guard machine.memory.kind(of: address) == .mapObject, UInt32(truncatingIfNeeded: address) == 0 else {
            throw call.fault("\(argument) is not a map pointer (\(machine.memory.describe(address)))")
        }
        return machine.maps[machine.memory.owner(of: address)]
    }

    static func mapLookup(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let map = try map(call.r1, call)
        let key = try call.pointer(call.r2, count: map.definition.keySize, write: false, "bpf_map_lookup_elem key")
        return .value(try map.lookup(key: key, call))
    }

    static func mapUpdate(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let map = try map(call.r1, call)
        guard !(map is ProgArrayMap), !(map is RingBufferMap) else {
            throw call.fault("bpf_map_update_elem is not allowed on a \(map.definition.type) map from a program")
        }
        let key = try call.pointer(call.r2, count: map.definition.keySize, write: false, "bpf_map_update_elem key")
        let value = try call.pointer(call.r3, count: map.definition.valueSize, write: false, "bpf_map_update_elem value")
        return errno(-map.update(key: key, value: value, flags: call.r4))
    }

    static func mapDelete(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let map = try map(call.r1, call)
        guard !(map is ProgArrayMap), !(map is RingBufferMap) else {
            throw call.fault("bpf_map_delete_elem is not allowed on a \(map.definition.type) map from a program")
        }
        let key = try call.pointer(call.r2, count: map.definition.keySize, write: false, "bpf_map_delete_elem key")
        return errno(-map.delete(key: key))
    }

    static func tailCall(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let map = try map(call.r2, call, "R2")
        guard let array = map as? ProgArrayMap else { throw call.fault("bpf_tail_call needs a prog array, not a \(map.definition.type) map") }
        guard let program = array.program(at: UInt64(UInt32(truncatingIfNeeded: call.r3))) else { return errno(Errno.ENOENT) }
        return .tailCall(program)
    }

    static func ringBuffer(_ address: UInt64, _ call: HelperCall) throws(VMError) -> RingBufferMap {
        let map = try map(address, call)
        guard let ring = map as? RingBufferMap else { throw call.fault("R1 is a \(map.definition.type) map, not a ring buffer") }
        return ring
    }

    static func ringbufOutput(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let ring = try ringBuffer(call.r1, call)
        guard call.r3 <= UInt64(ring.definition.maxEntries) else { return errno(Errno.E2BIG) }
        let bytes = try call.bytes(call.r2, count: Int(call.r3), "bpf_ringbuf_output data")
        return errno(-ring.output(bytes))
    }

    static func ringbufReserve(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let ring = try ringBuffer(call.r1, call)
        guard call.r3 == 0 else { return .value(0) }
        guard call.r2 <= UInt64(ring.definition.maxEntries) else { return .value(0) }
        return .value(ring.reserve(Int(call.r2)))
    }

    static func ringbufFinish(_ call: HelperCall, submit: Bool) throws(VMError) -> HelperOutcome {
        let memory = call.machine.memory
        guard memory.kind(of: call.r1) == .ringBufferRecord, let ring = call.machine.maps[memory.owner(of: call.r1)] as? RingBufferMap,
            ring.finish(call.r1, submit: submit)
        else {
            throw call.fault("R1 is not a ring buffer reservation (\(memory.describe(call.r1)))")
        }
        return .value(0)
    }

    static func ringbufQuery(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let ring = try ringBuffer(call.r1, call)
        switch call.r2 {
        case 0: return .value(UInt64(ring.used))
        case 1: return .value(UInt64(ring.definition.maxEntries))
        default: return .value(0)
        }
    }

    static func tracePrintk(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let size = Int(min(call.r2, 4096))
        guard size > 0 else { return errno(Errno.EINVAL) }
        let format = try call.bytes(call.r1, count: size, "bpf_trace_printk format")
        guard let nul = format.firstIndex(of: 0) else { return errno(Errno.EINVAL) }
        guard let text = TraceFormat.format(Array(format[..<nul]), arguments: [call.r3, call.r4, call.r5], memory: call.machine.memory) else {
            return errno(Errno.EINVAL)
        }
        call.machine.trace.append(TraceRecord(nanoseconds: call.machine.clock.nanoseconds, text: text))
        return .value(UInt64(text.utf8.count))
    }
}
