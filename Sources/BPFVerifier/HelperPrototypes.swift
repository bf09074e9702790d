import BPFObject

/// A helper's argument kinds and return kind (`struct bpf_func_proto`), for the helpers ctsim's
/// VM models.
struct HelperPrototype: Sendable {
    enum Argument: Sendable, Equatable {
        case anything
        case constMapPointer
        case mapKey
        case mapValue
        case context
        /// Readable memory; its size is the next argument.
        case memory
        case memoryOrNull
        /// Writable (possibly uninitialised) memory; its size is the next argument.
        case uninitializedMemory
        case constSize
        case constSizeOrZero
    }
    enum Return: Sendable, Equatable {
        case integer, void, mapValueOrNull
    }

    var name: String
    var arguments: [Argument]
    var returns: Return
    /// `bpf_helper_changes_pkt_data`: every packet pointer is invalidated by the call.
    var changesPacketData = false
    /// Program types allowed (empty: any of the networking types).
    var programTypes: [ProgramType] = []

    static func prototype(_ id: Int32) -> HelperPrototype? { table[id] }

    static let tc: [ProgramType] = [.schedCLS, .schedACT]
    static let table: [Int32: HelperPrototype] = [
        1: HelperPrototype(name: "bpf_map_lookup_elem", arguments: [.constMapPointer, .mapKey], returns: .mapValueOrNull),
        2: HelperPrototype(name: "bpf_map_update_elem", arguments: [.constMapPointer, .mapKey, .mapValue, .anything], returns: .integer),
        3: HelperPrototype(name: "bpf_map_delete_elem", arguments: [.constMapPointer, .mapKey], returns: .integer),
        5: HelperPrototype(name: "bpf_ktime_get_ns", arguments: [], returns: .integer),
        6: HelperPrototype(name: "bpf_trace_printk", arguments: [.memory, .constSize, .anything, .anything, .anything], returns: .integer),
        7: HelperPrototype(name: "bpf_get_prandom_u32", arguments: [], returns: .integer),
        8: HelperPrototype(name: "bpf_get_smp_processor_id", arguments: [], returns: .integer),
        9: HelperPrototype(
            name: "bpf_skb_store_bytes", arguments: [.context, .anything, .memory, .constSize, .anything], returns: .integer,
            changesPacketData: true, programTypes: tc),
        10: HelperPrototype(
            name: "bpf_l3_csum_replace", arguments: [.context, .anything, .anything, .anything, .anything], returns: .integer,
            changesPacketData: true, programTypes: tc),
        11: HelperPrototype(
            name: "bpf_l4_csum_replace", arguments: [.context, .anything, .anything, .anything, .anything], returns: .integer,
            changesPacketData: true, programTypes: tc),
        12: HelperPrototype(name: "bpf_tail_call", arguments: [.context, .constMapPointer, .anything], returns: .void),
        23: HelperPrototype(name: "bpf_redirect", arguments: [.anything, .anything], returns: .integer),
        26: HelperPrototype(
            name: "bpf_skb_load_bytes", arguments: [.context, .anything, .uninitializedMemory, .constSize], returns: .integer,
            programTypes: tc),
        28: HelperPrototype(
            name: "bpf_csum_diff", arguments: [.memoryOrNull, .constSizeOrZero, .memoryOrNull, .constSizeOrZero, .anything],
            returns: .integer),
        34: HelperPrototype(name: "bpf_get_hash_recalc", arguments: [.context], returns: .integer, programTypes: tc),
        44: HelperPrototype(
            name: "bpf_xdp_adjust_head", arguments: [.context, .anything], returns: .integer, changesPacketData: true, programTypes: [.xdp]),
        51: HelperPrototype(name: "bpf_redirect_map", arguments: [.constMapPointer, .anything, .anything], returns: .integer),
        54: HelperPrototype(
            name: "bpf_xdp_adjust_meta", arguments: [.context, .anything], returns: .integer, changesPacketData: true, programTypes: [.xdp]),
        65: HelperPrototype(
            name: "bpf_xdp_adjust_tail", arguments: [.context, .anything], returns: .integer, changesPacketData: true, programTypes: [.xdp]),
        118: HelperPrototype(name: "bpf_jiffies64", arguments: [], returns: .integer),
        125: HelperPrototype(name: "bpf_ktime_get_boot_ns", arguments: [], returns: .integer),
        130: HelperPrototype(name: "bpf_ringbuf_output", arguments: [.constMapPointer, .memory, .constSizeOrZero, .anything], returns: .integer),
        160: HelperPrototype(name: "bpf_ktime_get_coarse_ns", arguments: [], returns: .integer),
        208: HelperPrototype(name: "bpf_ktime_get_tai_ns", arguments: [], returns: .integer),
    ]
}
