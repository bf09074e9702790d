import CBPF

/// Decodes bytes of a BPF map value through libbpf's BTF of the object (`struct btf *` from
/// `bpf_object__btf`): a `DATASEC`'s variables, then each variable's type (integers with their
/// signedness, enums, pointers, arrays, structs and unions with bitfields).
struct BTFValueDecoder {
    let btf: OpaquePointer

    private func type(_ id: UInt32) -> UnsafePointer<btf_type>? { btf__type_by_id(btf, id) }

    private func name(_ offset: UInt32) -> String { String(cString: btf__name_by_offset(btf, offset)) }

    private func kind(_ t: UnsafePointer<btf_type>) -> Int { Int(btf_kind(t)) }

    /// The variables of the DATASEC `datasecID` read from `bytes` (the map value).
    func variables(ofDatasec datasecID: UInt32, section: String, bytes: [UInt8]) -> [KernelGlobal] {
        guard let datasec = type(datasecID), kind(datasec) == BTF_KIND_DATASEC else { return [] }
        let count = Int(btf_vlen(datasec))
        guard let infos = btf_var_secinfos(datasec) else { return [] }
        var globals: [KernelGlobal] = []
        for index in 0..<count {
            let info = infos[index]
            guard let variable = type(info.type), kind(variable) == BTF_KIND_VAR else { continue }
            let offset = Int(info.offset)
            let size = Int(info.size)
            guard offset >= 0, offset + size <= bytes.count else { continue }
            let value = bytes[offset..<(offset + size)].withUnsafeBytes { raw in
                decode(variable.pointee.type, raw)
            }
            globals.append(KernelGlobal(name: name(variable.pointee.name_off), section: section, value: value))
        }
        return globals
    }

    /// Follows typedefs and qualifiers to the type that gives the shape.
    private func resolve(_ id: UInt32) -> (UInt32, UnsafePointer<btf_type>?) {
        var current = id
        for _ in 0..<64 {
            guard let t = type(current) else { return (current, nil) }
            switch kind(t) {
            case BTF_KIND_TYPEDEF, BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT, BTF_KIND_TYPE_TAG:
                current = t.pointee.type
            default:
                return (current, t)
            }
        }
        return (current, nil)
    }

    private func integer(_ raw: UnsafeRawBufferPointer, signed: Bool) -> KernelGlobalValue {
        guard raw.count <= 8, raw.count > 0 else { return .bytes(Array(raw)) }
        var value: UInt64 = 0
        for (shift, byte) in raw.enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
        guard signed else { return .unsigned(value) }
        let bits = UInt64(raw.count * 8)
        if bits < 64, value & (1 << (bits - 1)) != 0 { value |= ~0 << bits }
        return .signed(Int64(bitPattern: value))
    }

    /// The value of type `id` at the start of `raw`.
    func decode(_ id: UInt32, _ raw: UnsafeRawBufferPointer) -> KernelGlobalValue {
        let (resolved, t) = resolve(id)
        guard let t else { return .bytes(Array(raw)) }
        let size = max(0, Int(btf__resolve_size(btf, resolved)))
        let own = UnsafeRawBufferPointer(rebasing: raw[0..<min(size, raw.count)])
        switch kind(t) {
        case BTF_KIND_INT:
            let encoding = Int32(btf_int_encoding(t))
            return integer(own, signed: encoding & Int32(BTF_INT_SIGNED) != 0)
        case BTF_KIND_ENUM, BTF_KIND_ENUM64:
            return integer(own, signed: btf_kflag(t))
        case BTF_KIND_PTR:
            return integer(own, signed: false)
        case BTF_KIND_ARRAY:
            guard let array = btf_array(t) else { return .bytes(Array(own)) }
            let element = array.pointee.type
            let elementSize = Int(btf__resolve_size(btf, element))
            let count = Int(array.pointee.nelems)
            guard elementSize > 0, elementSize * count <= raw.count else { return .bytes(Array(own)) }
            return .array(
                (0..<count).map { index in
                    decode(element, UnsafeRawBufferPointer(rebasing: raw[(index * elementSize)...]))
                })
        case BTF_KIND_STRUCT, BTF_KIND_UNION:
            guard let members = btf_members(t) else { return .fields([]) }
            var fields: [KernelGlobalValue.Field] = []
            for index in 0..<Int(btf_vlen(t)) {
                let bitOffset = Int(btf_member_bit_offset(t, UInt32(index)))
                let bitSize = Int(btf_member_bitfield_size(t, UInt32(index)))
                let member = members[index]
                let memberName = name(member.name_off)
                if bitSize == 0 {
                    let start = bitOffset / 8
                    guard start <= raw.count else { continue }
                    fields.append(.init(name: memberName, value: decode(member.type, UnsafeRawBufferPointer(rebasing: raw[start...]))))
                } else {
                    fields.append(.init(name: memberName, value: bitfield(member.type, raw, bitOffset: bitOffset, bitSize: bitSize)))
                }
            }
            return .fields(fields)
        default:
            return .bytes(Array(own))
        }
    }

    /// A bitfield member (little-endian bit numbering, as on x86-64 and arm64).
    private func bitfield(_ id: UInt32, _ raw: UnsafeRawBufferPointer, bitOffset: Int, bitSize: Int) -> KernelGlobalValue {
        var value: UInt64 = 0
        for bit in 0..<min(bitSize, 64) {
            let position = bitOffset + bit
            guard position / 8 < raw.count else { break }
            if raw[position / 8] & (1 << UInt8(position % 8)) != 0 { value |= 1 << UInt64(bit) }
        }
        let (_, t) = resolve(id)
        let signed = t.map { kind($0) == BTF_KIND_INT && Int32(btf_int_encoding($0)) & Int32(BTF_INT_SIGNED) != 0 } ?? false
        if signed, bitSize < 64, value & (1 << UInt64(bitSize - 1)) != 0 { value |= ~0 << UInt64(bitSize) }
        return signed ? .signed(Int64(bitPattern: value)) : .unsigned(value)
    }
}
