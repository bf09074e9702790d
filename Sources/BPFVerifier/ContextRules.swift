import BPFObject

/// Which context fields a program type may read and write, and what a load yields
/// (`xdp_is_valid_access`, `tc_cls_act_is_valid_access` + `bpf_skb_is_valid_access`).
enum ContextRules {
    /// The register kind a valid access produces, or nil for an invalid one.
    static func access(type: ProgramType, offset: Int, size: Int, write: Bool) -> RegisterKind? {
        switch type {
        case .xdp: return xdp(offset: offset, size: size, write: write)
        case .schedCLS, .schedACT: return skb(offset: offset, size: size, write: write)
        default: return nil
        }
    }

    /// The context's BTF struct name for kfunc arguments.
    static func contextTypeName(_ type: ProgramType) -> String? {
        switch type {
        case .xdp: "xdp_md"
        case .schedCLS, .schedACT: "__sk_buff"
        default: nil
        }
    }

    static func xdp(offset: Int, size: Int, write: Bool) -> RegisterKind? {
        if offset == 20 { return nil }  // egress_ifindex: devmap programs only
        if write { return nil }
        guard offset >= 0, offset < 24, size == 4, offset % size == 0 else { return nil }
        switch offset {
        case 0: return .packet
        case 4: return .packetEnd
        case 8: return .packetMeta
        default: return .scalar
        }
    }

    // struct __sk_buff offsets
    static let skbSize = 192
    static func skb(offset: Int, size: Int, write: Bool) -> RegisterKind? {
        func within(_ start: Int, _ length: Int) -> Bool { offset >= start && offset < start + length }
        if write {
            let writable = within(8, 4) || within(44, 4) || within(32, 4) || within(72, 4) || within(48, 20) || within(152, 8)
                || within(12, 4)
            if !writable { return nil }
        }
        var kind: RegisterKind = .scalar
        if within(76, 4) { kind = .packet }
        if within(140, 4) { kind = .packetMeta }
        if within(80, 4) { kind = .packetEnd }
        if offset >= 88 && offset < 140 { return nil }  // family .. local_port
        guard offset >= 0, offset < skbSize, size > 0, offset % size == 0 else { return nil }
        if within(48, 20) {
            if offset + size > 68 { return nil }
            return .scalar
        }
        if within(76, 4) || within(140, 4) || within(80, 4) { return size == 4 ? kind : nil }
        if within(144, 8) { return nil }  // flow_keys
        if within(184, 8) { return write || size != 8 ? nil : .scalar }  // hwtstamp
        if within(152, 8) { return size == 8 ? .scalar : nil }  // tstamp
        if offset == 168 { return nil }  // sk: PTR_TO_SOCK_COMMON_OR_NULL, not modelled
        if within(168, 8) { return nil }
        if within(180, 4) { return nil }  // tstamp_type and padding
        if write { return size == 4 ? .scalar : nil }
        // narrow reads of a 4-byte field
        guard size <= 4 else { return nil }
        return .scalar
    }
}
