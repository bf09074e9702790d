/// The kind of value a register holds (`enum bpf_reg_type` with its flags folded in).
public enum RegisterKind: Hashable, Sendable {
    case notInitialized
    case scalar
    case context
    case packet
    case packetMeta
    case packetEnd
    case stack
    case mapPointer
    case mapValue
    case mapValueOrNull
    case mapKey
    /// Memory of `memorySize` bytes (helper results, kfunc `__sz` buffers).
    case memory
    /// A BTF-typed kernel object (`btfTypeName`).
    case btfID
    case btfIDOrNull
}

/// One register's abstract value (`struct bpf_reg_state`, the parts ctsim tracks).
public struct RegisterState: Hashable, Sendable {
    public var kind: RegisterKind
    /// Fixed offset from the pointer's base (`reg->off`).
    public var offset: Int32 = 0
    /// For scalars, the value; for pointers, the variable part of the offset.
    public var value: ScalarValue = .unknown
    /// Identity shared by copies: packet pointers of one origin, maybe-null pointers, linked scalars.
    public var id: UInt32 = 0
    /// The reference this pointer holds (acquired kfunc results).
    public var referenceID: UInt32 = 0
    /// Bytes known to be in the packet from this pointer's base (`reg->range`).
    public var range: Int32 = 0
    /// Map index (map pointer/value/key), or memory size.
    public var map: Int = -1
    public var memorySize: Int = 0
    public var btfTypeName: String = ""
    public var trusted: Bool = false
    /// Frame number for stack pointers.
    public var frame: Int = 0

    public init(kind: RegisterKind) {
        self.kind = kind
        if kind != .scalar && kind != .notInitialized { value = .constant(0) }
    }

    public static let notInitialized = RegisterState(kind: .notInitialized)
    public static func scalar(_ value: ScalarValue) -> RegisterState {
        var r = RegisterState(kind: .scalar)
        r.value = value
        return r
    }
    public static func constant(_ v: UInt64) -> RegisterState { .scalar(.constant(v)) }
    public static func unknownScalar() -> RegisterState { .scalar(.unknown) }

    public var isPointer: Bool { kind != .scalar && kind != .notInitialized }
    public var isNullable: Bool { kind == .mapValueOrNull || kind == .btfIDOrNull }
    public var isPacketLike: Bool { kind == .packet || kind == .packetMeta }

    /// The type's name as the kernel's `reg_type_str` prints it.
    public func typeName(_ maps: [String] = []) -> String {
        switch kind {
        case .notInitialized: return "?"
        case .scalar: return "scalar"
        case .context: return "ctx"
        case .packet: return "pkt"
        case .packetMeta: return "pkt_meta"
        case .packetEnd: return "pkt_end"
        case .stack: return "fp"
        case .mapPointer: return "map_ptr"
        case .mapValue: return "map_value"
        case .mapValueOrNull: return "map_value_or_null"
        case .mapKey: return "map_key"
        case .memory: return "mem"
        case .btfID: return (trusted ? "trusted_" : "") + "ptr_"
        case .btfIDOrNull: return (trusted ? "trusted_" : "") + "ptr_or_null_"
        }
    }

    /// The register as the kernel's state line prints it: `ctx()`, `pkt(off=14,r=14)`, `fp-8`, `2`.
    public func describe(maps: [MapDefinition]) -> String {
        switch kind {
        case .notInitialized: return "?"
        case .scalar:
            if id == 0 || value.isConstant { return value.description }
            return "scalar(" + (["id=\(id)"] + value.detailParts).joined(separator: ",") + ")"
        case .stack: return "fp\(offset)"
        default:
            var parts: [String] = []
            if id != 0 { parts.append("id=\(id)") }
            if referenceID != 0 { parts.append("ref_obj_id=\(referenceID)") }
            if (kind == .mapValue || kind == .mapValueOrNull || kind == .mapPointer), map >= 0, map < maps.count {
                parts.append("map=\(maps[map].name)")
                parts.append("ks=\(maps[map].keySize),vs=\(maps[map].valueSize)")
            }
            if offset != 0 { parts.append("off=\(offset)") }
            if kind == .packet || kind == .packetMeta { parts.append("r=\(range)") }
            if kind == .memory { parts.append("sz=\(memorySize)") }
            if let c = value.constantValue {
                if c != 0 { parts.append("imm=" + String(c, radix: 16)) }
            } else {
                parts += value.detailParts
            }
            return typeName() + btfTypeName + "(" + parts.joined(separator: ",") + ")"
        }
    }
}

import BPFObject
