/// CO-RE relocation resolution against a target BTF, following libbpf's rules: candidates are the
/// target types of the same kind whose name equals the local name with any `___flavour` suffix
/// stripped (so `nf_conn___init` matches `nf_conn` and the reverse); fields are matched by name,
/// through anonymous members; every matching candidate must give the same value.
public struct CORERelocator: Sendable {
    public let local: BTF
    public let target: BTF
    private var candidatesByName: [String: [UInt32]] = [:]

    /// The result of one relocation.
    public struct Resolution: Sendable, Hashable {
        /// The value computed from the object's own BTF (what clang assumed).
        public var localValue: UInt64
        /// The value for the target, or nil when the relocation must poison the instruction.
        public var targetValue: UInt64?
        /// For field offsets: the field's byte size in the target (to adjust a load's width).
        public var localSize: Int = 0
        public var targetSize: Int = 0
        /// The target type id the relocation matched (0 when none).
        public var targetTypeID: UInt32 = 0
    }

    public init(local: BTF, target: BTF) {
        self.local = local
        self.target = target
        for (i, t) in target.types.enumerated() where !t.name.isEmpty {
            switch t.kind {
            case .structure, .union, .enumeration, .enum64, .typedef, .int, .float, .forward, .function:
                candidatesByName[Self.essentialName(t.name), default: []].append(UInt32(i))
            default: break
            }
        }
    }

    /// The name without a `___flavour` suffix, as libbpf's `bpf_core_essential_name_len` cuts it:
    /// at the last `X___Y` where neither X nor Y is an underscore (`nf_conn___init` → `nf_conn`,
    /// `a___b___c` → `a___b`, `____x` unchanged).
    public static func essentialName(_ name: String) -> String {
        let utf8 = Array(name.utf8)
        let underscore: UInt8 = 0x5F
        guard utf8.count >= 5 else { return name }
        for i in stride(from: utf8.count - 5, through: 0, by: -1)
        where utf8[i] != underscore && utf8[i + 1] == underscore && utf8[i + 2] == underscore
            && utf8[i + 3] == underscore && utf8[i + 4] != underscore
        {
            return String(decoding: utf8[...i], as: UTF8.self)
        }
        return name
    }

    /// One step of a field access: a struct/union member (by name when it has one) or an array index.
    struct Access {
        var index: Int
        var name: String?
        var isArrayIndex: Bool
    }

    struct FieldSpec {
        var rootID: UInt32
        var accesses: [Access] = []
        var bitOffset: Int = 0
        /// The final field's type and bitfield size.
        var fieldType: UInt32 = 0
        var bitfieldSize: Int = 0
    }

    private static func kindsMatch(_ a: BTF.Kind, _ b: BTF.Kind) -> Bool {
        a == b || (a == .enumeration && b == .enum64) || (a == .enum64 && b == .enumeration)
    }

    /// Resolves one relocation record.
    /// - Throws: `BPFObjectError(.badCORE)` for a malformed access string or an ambiguous match.
    public func resolve(_ relocation: BTFExt.CORERelocation) throws(BPFObjectError) -> Resolution {
        guard local.contains(relocation.typeID), relocation.typeID != 0 else {
            throw BPFObjectError(.badCORE, "CO-RE relocation refers to local type \(relocation.typeID) of \(local.count)")
        }
        let indices = try parseAccess(relocation.accessString)
        let root = relocation.typeID
        let localRoot = local[local.skippingModifiers(root)]
        let kind = relocation.kind
        if kind.isTypeBased {
            let localSize = UInt64(local.size(of: root) ?? 0)
            let localValue: UInt64 = switch kind {
            case .typeIDLocal, .typeIDTarget: UInt64(root)
            case .typeSize: localSize
            default: 1
            }
            if kind == .typeIDLocal { return Resolution(localValue: localValue, targetValue: localValue, targetTypeID: 0) }
            let rootEntry = local[root]
            let matches = candidates(for: rootEntry).filter { id in
                kind == .typeMatches ? typesMatch(root, id, depth: 0) : Self.kindsMatch(target[id].kind, rootEntry.kind)
            }
            guard let first = matches.first else {
                return Resolution(localValue: localValue, targetValue: kind == .typeSize ? nil : 0)
            }
            let value: UInt64 = switch kind {
            case .typeIDTarget: UInt64(first)
            case .typeSize: UInt64(target.size(of: first) ?? 0)
            default: 1
            }
            return Resolution(localValue: localValue, targetValue: value, targetTypeID: first)
        }
        if kind.isEnumValueBased {
            guard localRoot.kind == .enumeration || localRoot.kind == .enum64, indices.count == 1, indices[0] < localRoot.enumValues.count else {
                throw BPFObjectError(.badCORE, "enum relocation \(relocation.accessString) on \(local.typeName(root)) is malformed")
            }
            let enumerator = localRoot.enumValues[indices[0]]
            let localValue = kind == .enumValueExists ? 1 : UInt64(bitPattern: enumerator.value)
            var values: Set<UInt64> = []
            var matched: UInt32 = 0
            for id in candidates(for: localRoot) where Self.kindsMatch(target[id].kind, localRoot.kind) {
                if let v = target[id].enumValues.first(where: { $0.name == enumerator.name }) {
                    values.insert(kind == .enumValueExists ? 1 : UInt64(bitPattern: v.value))
                    matched = id
                }
            }
            guard values.count <= 1 else { throw BPFObjectError(.badCORE, "enum \(localRoot.name)::\(enumerator.name): candidates disagree") }
            if let v = values.first { return Resolution(localValue: localValue, targetValue: v, targetTypeID: matched) }
            return Resolution(localValue: localValue, targetValue: kind == .enumValueExists ? 0 : nil)
        }

        // Field-based.
        let spec = try localSpec(root: root, indices: indices, access: relocation.accessString)
        let localValue = fieldValue(kind, btf: local, spec: spec)
        var results: [(UInt64, Int, UInt32)] = []
        for id in candidates(for: local[root]) where Self.kindsMatch(target[id].kind, local[root].kind) {
            if let targetSpec = match(spec, targetRoot: id) {
                results.append((fieldValue(kind, btf: target, spec: targetSpec), target.size(of: targetSpec.fieldType) ?? 0, id))
            }
        }
        let localSize = local.size(of: spec.fieldType) ?? 0
        guard let first = results.first else {
            return Resolution(localValue: localValue, targetValue: kind == .fieldExists ? 0 : nil, localSize: localSize)
        }
        if results.contains(where: { $0.0 != first.0 }) {
            throw BPFObjectError(
                .badCORE, "\(kind) of \(local.typeName(root)) \(relocation.accessString): candidates disagree (\(results.map(\.0)))")
        }
        return Resolution(localValue: localValue, targetValue: first.0, localSize: localSize, targetSize: first.1, targetTypeID: first.2)
    }

    private func parseAccess(_ text: String) throws(BPFObjectError) -> [Int] {
        var result: [Int] = []
        for part in text.split(separator: ":", omittingEmptySubsequences: false) {
            guard let v = Int(part), v >= 0, v <= 0xFFFF else { throw BPFObjectError(.badCORE, "bad CO-RE access string \"\(text)\"") }
            result.append(v)
        }
        guard !result.isEmpty else { throw BPFObjectError(.badCORE, "empty CO-RE access string") }
        return result
    }

    private func candidates(for entry: BTF.TypeEntry) -> [UInt32] {
        entry.name.isEmpty ? [] : candidatesByName[Self.essentialName(entry.name)] ?? []
    }

    private func localSpec(root: UInt32, indices: [Int], access: String) throws(BPFObjectError) -> FieldSpec {
        var spec = FieldSpec(rootID: root)
        var current = local.skippingModifiers(root)
        guard let rootSize = local.size(of: current) else { throw BPFObjectError(.badCORE, "CO-RE root \(local.typeName(root)) has no size") }
        spec.bitOffset = indices[0] * rootSize * 8
        spec.fieldType = current
        for index in indices.dropFirst() {
            let t = local[current]
            switch t.kind {
            case .structure, .union:
                guard index < t.members.count else {
                    throw BPFObjectError(.badCORE, "CO-RE access \(access): member \(index) of \(local.typeName(current)) does not exist")
                }
                let m = t.members[index]
                spec.bitOffset += Int(m.bitOffset)
                spec.accesses.append(Access(index: index, name: m.name.isEmpty ? nil : m.name, isArrayIndex: false))
                spec.bitfieldSize = Int(m.bitfieldSize)
                spec.fieldType = m.type
                current = local.skippingModifiers(m.type)
            case .array:
                guard let elementSize = local.size(of: t.arrayElement) else { throw BPFObjectError(.badCORE, "CO-RE access \(access): element has no size") }
                spec.bitOffset += index * elementSize * 8
                spec.accesses.append(Access(index: index, name: nil, isArrayIndex: true))
                spec.bitfieldSize = 0
                spec.fieldType = t.arrayElement
                current = local.skippingModifiers(t.arrayElement)
            default:
                throw BPFObjectError(.badCORE, "CO-RE access \(access) steps into \(local.typeName(current)), which is not a struct, union or array")
            }
        }
        return spec
    }

    /// Finds a member by name in `composite`, looking through anonymous struct/union members.
    private func findMember(_ name: String, in composite: UInt32, depth: Int = 0) -> (BTF.Member, Int)? {
        let t = target[composite]
        for m in t.members {
            if m.name == name { return (m, Int(m.bitOffset)) }
            if m.name.isEmpty, depth < 16 {
                let inner = target.skippingModifiers(m.type)
                if target[inner].kind == .structure || target[inner].kind == .union, let (found, off) = findMember(name, in: inner, depth: depth + 1) {
                    return (found, off + Int(m.bitOffset))
                }
            }
        }
        return nil
    }

    private func fieldsCompatible(_ localType: UInt32, _ targetType: UInt32, depth: Int = 0) -> Bool {
        let l = local[local.skippingModifiers(localType)], t = target[target.skippingModifiers(targetType)]
        switch l.kind {
        case .structure, .union, .forward: return [.structure, .union, .forward].contains(t.kind)
        case .int, .enumeration, .enum64, .float: return [.int, .enumeration, .enum64, .float].contains(t.kind)
        case .pointer: return t.kind == .pointer
        case .array: return t.kind == .array && depth < 8 && fieldsCompatible(l.arrayElement, t.arrayElement, depth: depth + 1)
        default: return l.kind == t.kind
        }
    }

    private func match(_ spec: FieldSpec, targetRoot: UInt32) -> FieldSpec? {
        var result = FieldSpec(rootID: targetRoot)
        var current = target.skippingModifiers(targetRoot)
        guard let rootSize = target.size(of: current) else { return nil }
        let localRootSize = local.size(of: local.skippingModifiers(spec.rootID)) ?? 1
        var localCurrent = local.skippingModifiers(spec.rootID)
        // Recompute the first index from the local spec: bitOffset minus the members' offsets.
        var memberBits = 0
        var walk = localCurrent
        for a in spec.accesses {
            let t = local[walk]
            if a.isArrayIndex {
                memberBits += a.index * (local.size(of: t.arrayElement) ?? 0) * 8
                walk = local.skippingModifiers(t.arrayElement)
            } else {
                let m = t.members[a.index]
                memberBits += Int(m.bitOffset)
                walk = local.skippingModifiers(m.type)
            }
        }
        let rootIndex = localRootSize > 0 ? (spec.bitOffset - memberBits) / (localRootSize * 8) : 0
        result.bitOffset = rootIndex * rootSize * 8
        result.fieldType = current
        for a in spec.accesses {
            let lt = local[localCurrent]
            if a.isArrayIndex {
                let t = target[current]
                guard t.kind == .array else { return nil }
                let isFlexible = t.arrayCount == 0
                guard isFlexible || a.index < Int(t.arrayCount) else { return nil }
                guard let size = target.size(of: t.arrayElement) else { return nil }
                result.bitOffset += a.index * size * 8
                result.fieldType = t.arrayElement
                result.bitfieldSize = 0
                current = target.skippingModifiers(t.arrayElement)
                localCurrent = local.skippingModifiers(lt.arrayElement)
            } else {
                let lm = lt.members[a.index]
                localCurrent = local.skippingModifiers(lm.type)
                guard let name = a.name else {
                    // An anonymous local member: the next named access finds its field through the
                    // target's anonymous members, so nothing to match here.
                    continue
                }
                guard target[current].kind == .structure || target[current].kind == .union,
                    let (tm, off) = findMember(name, in: current), fieldsCompatible(lm.type, tm.type)
                else { return nil }
                result.bitOffset += off
                result.fieldType = tm.type
                result.bitfieldSize = Int(tm.bitfieldSize)
                current = target.skippingModifiers(tm.type)
            }
        }
        return result
    }

    private func fieldValue(_ kind: BTFExt.CORERelocationKind, btf: BTF, spec: FieldSpec) -> UInt64 {
        let fieldSize = btf.size(of: spec.fieldType) ?? 0
        var byteSize = fieldSize
        var byteOffset = spec.bitOffset / 8
        let bitSize = spec.bitfieldSize != 0 ? spec.bitfieldSize : fieldSize * 8
        if spec.bitfieldSize != 0, fieldSize > 0 {
            byteOffset = spec.bitOffset / 8 / fieldSize * fieldSize
            while spec.bitOffset + bitSize - byteOffset * 8 > byteSize * 8 && byteSize < 8 {
                byteSize *= 2
                byteOffset = spec.bitOffset / 8 / byteSize * byteSize
            }
        }
        switch kind {
        case .fieldByteOffset: return UInt64(truncatingIfNeeded: byteOffset)
        case .fieldByteSize: return UInt64(truncatingIfNeeded: byteSize)
        case .fieldExists: return 1
        case .fieldSigned:
            let t = btf[btf.skippingModifiers(spec.fieldType)]
            return t.isSigned ? 1 : 0
        case .fieldLShiftU64: return UInt64(truncatingIfNeeded: 64 - (spec.bitOffset + bitSize - byteOffset * 8))
        case .fieldRShiftU64: return UInt64(truncatingIfNeeded: 64 - bitSize)
        default: return 0
        }
    }

    /// libbpf's `bpf_core_types_match`, simplified: same kind; composites have every local member
    /// by name with matching types; enums share their enumerator names; ints agree in size and sign.
    func typesMatch(_ localID: UInt32, _ targetID: UInt32, depth: Int) -> Bool {
        guard depth < 16 else { return false }
        let l = local[local.skippingModifiers(localID)], t = target[target.skippingModifiers(targetID)]
        if !l.name.isEmpty && Self.essentialName(l.name) != Self.essentialName(t.name) && depth > 0 { return false }
        switch l.kind {
        case .structure, .union:
            guard t.kind == l.kind else { return false }
            for m in l.members {
                guard let tm = t.members.first(where: { $0.name == m.name }), typesMatch(m.type, tm.type, depth: depth + 1) else { return false }
            }
            return true
        case .enumeration, .enum64:
            guard Self.kindsMatch(l.kind, t.kind) else { return false }
            return l.enumValues.allSatisfy { v in t.enumValues.contains { $0.name == v.name } }
        case .int: return t.kind == .int && l.sizeOrType == t.sizeOrType && l.isSigned == t.isSigned
        case .pointer: return t.kind == .pointer && typesMatch(l.sizeOrType, t.sizeOrType, depth: depth + 1)
        case .array: return t.kind == .array && l.arrayCount == t.arrayCount && typesMatch(l.arrayElement, t.arrayElement, depth: depth + 1)
        case .forward: return t.kind == .forward || t.kind == .structure || t.kind == .union
        default: return l.kind == t.kind
        }
    }
}
