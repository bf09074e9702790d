/// `states_equal`: whether everything that can happen from `new` already happened, safely, from
/// `old` (old's knowledge is no more precise than new's).
enum StatePruning {
    struct IDMap {
        var map: [UInt32: UInt32] = [:]
        var reverse: [UInt32: UInt32] = [:]
        mutating func check(_ old: UInt32, _ new: UInt32) -> Bool {
            if old == 0 && new == 0 { return true }
            if old == 0 || new == 0 { return false }
            if let m = map[old] { return m == new }
            if let r = reverse[new] { return r == old }
            map[old] = new
            reverse[new] = old
            return true
        }
    }

    static func subsumes(_ old: VerifierState, _ new: VerifierState) -> Bool {
        guard old.frames.count == new.frames.count, old.references.count == new.references.count else { return false }
        var ids = IDMap()
        for (a, b) in zip(old.references, new.references) where !ids.check(a.id, b.id) { return false }
        for (fo, fn) in zip(old.frames, new.frames) {
            guard fo.callSite == fn.callSite else { return false }
            for r in 0..<11 where !register(fo.registers[r], fn.registers[r], &ids) { return false }
            let slots = max(fo.stack.count, fn.stack.count)
            for s in 0..<slots {
                let so = s < fo.stack.count ? fo.stack[s] : StackSlot()
                let sn = s < fn.stack.count ? fn.stack[s] : StackSlot()
                if !slot(so, sn, &ids) { return false }
            }
        }
        return true
    }

    static func slot(_ old: StackSlot, _ new: StackSlot, _ ids: inout IDMap) -> Bool {
        if old.isSpill {
            if new.isSpill {
                guard old.spillSize == new.spillSize, register(old.spilled, new.spilled, &ids) else { return false }
                for i in old.spillSize..<8 where !byte(old.bytes[i], new.bytes[i]) { return false }
                return true
            }
            if old.spilled.kind == .scalar && old.spilled.value == .unknown {
                return new.bytes.allSatisfy { $0 != .spill }
            }
            return false
        }
        for i in 0..<8 {
            switch (old.bytes[i], new.bytes[i]) {
            case (.invalid, _): continue
            case (.misc, .misc), (.misc, .zero), (.zero, .zero): continue
            case (.misc, .spill):
                if new.spilled.kind == .scalar { continue }
                return false
            default: return false
            }
        }
        return true
    }

    static func byte(_ old: StackByte, _ new: StackByte) -> Bool {
        switch (old, new) {
        case (.invalid, _), (.misc, .misc), (.misc, .zero), (.zero, .zero): return true
        default: return false
        }
    }

    static func register(_ old: RegisterState, _ new: RegisterState, _ ids: inout IDMap) -> Bool {
        if old.kind == .notInitialized { return true }
        guard old.kind == new.kind else { return false }
        switch old.kind {
        case .scalar:
            return old.value.contains(new.value)
        case .packet, .packetMeta:
            return old.offset == new.offset && old.range <= new.range && old.value.contains(new.value) && ids.check(old.id, new.id)
        default:
            return old.offset == new.offset && old.map == new.map && old.memorySize == new.memorySize
                && old.btfTypeName == new.btfTypeName && old.trusted == new.trusted && old.frame == new.frame
                && old.value.contains(new.value) && ids.check(old.id, new.id) && ids.check(old.referenceID, new.referenceID)
        }
    }
}
