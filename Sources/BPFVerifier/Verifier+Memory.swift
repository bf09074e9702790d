import BPFObject

extension Verifier {
    static let maxPacketOffset: UInt64 = 0xFFFF

    /// `check_mem_access` for a load (`write == false`, result into `valueRegister`) or a store
    /// (of `valueRegister`, or of `immediate` when `valueRegister` is -1).
    func memoryAccess(
        pc: Int, base: Int, offset insnOffset: Int, size: Int, write: Bool, valueRegister: Int, immediate: Int64? = nil,
        signExtend: Bool, strictAlignment: Bool = false, state: inout VerifierState
    ) throws(VerificationFailure) {
        let reg = state[register: base]
        let off = insnOffset + Int(reg.offset)
        if strictAlignment, size > 1, reg.kind != .stack, reg.kind != .packet, reg.kind != .packetMeta {
            try checkStrictAlignment(reg, offset: insnOffset, size: size)
        }
        var result: RegisterState = .unknownScalar()
        switch reg.kind {
        case .stack:
            let total = Int(reg.value.bits.value) &+ Int(reg.offset) &+ insnOffset
            if reg.value.isConstant, total % size != 0 {
                throw VerificationFailure(
                    "misaligned stack access off \(reg.value.isConstant ? "\(Int64(bitPattern: reg.value.bits.value))" : reg.value.bits.description)+\(reg.offset)+\(insnOffset) size \(size)")
            }
            try stackAccess(base: base, reg: reg, offset: off, size: size, write: write, valueRegister: valueRegister,
                immediate: immediate, result: &result, state: &state)
        case .mapValue:
            guard reg.map >= 0, reg.map < program.maps.count else { throw VerificationFailure("invalid map index") }
            let map = program.maps[reg.map]
            if write, map.flags & 0x80 != 0 {
                throw VerificationFailure("write into map forbidden, value_size=\(map.valueSize) off=\(off) size=\(size)")
            }
            try checkRegion(base: base, reg: reg, offset: off, size: size, limit: map.valueSize,
                what: "invalid access to map value, value_size=\(map.valueSize) off=\(Int(reg.value.smin) + off) size=\(size)")
            if !write, map.flags & 0x80 != 0, reg.value.isConstant, let bytes = map.initialValue, off + size <= bytes.count, off >= 0 {
                var v: UInt64 = 0
                for i in 0..<size { v |= UInt64(bytes[off + i]) << UInt64(8 * i) }
                result = .constant(v)
            }
        case .mapKey:
            let keySize = reg.map >= 0 && reg.map < program.maps.count ? program.maps[reg.map].keySize : 0
            try checkRegion(base: base, reg: reg, offset: off, size: size, limit: keySize,
                what: "invalid access to map key, key_size=\(keySize) off=\(Int(reg.value.smin) + off) size=\(size)")
        case .memory:
            try checkRegion(base: base, reg: reg, offset: off, size: size, limit: reg.memorySize,
                what: "invalid access to memory, mem_size=\(reg.memorySize) off=\(Int(reg.value.smin) + off) size=\(size)")
        case .context:
            if reg.offset < 0 { throw VerificationFailure("negative offset ctx ptr R\(base) off=\(reg.offset) disallowed") }
            if reg.offset != 0 { throw VerificationFailure("dereference of modified ctx ptr R\(base) off=\(reg.offset) disallowed") }
            if !reg.value.isConstant || reg.value.bits.value != 0 {
                throw VerificationFailure("variable ctx access var_off=\(reg.value.bits.description) disallowed")
            }
            guard let kind = ContextRules.access(type: program.type, offset: off, size: size, write: write) else {
                throw VerificationFailure("invalid bpf_context access off=\(off) size=\(size)")
            }
            if !write {
                result = kind == .scalar ? .scalar(.unsigned(bytes: size)) : RegisterState(kind: kind)
            }
        case .packet, .packetMeta:
            if write, !(program.type == .xdp || program.type == .schedCLS || program.type == .schedACT) {
                throw VerificationFailure("cannot write into packet")
            }
            if reg.value.smin < 0 {
                throw VerificationFailure("R\(base) min value is negative, either use unsigned index or do a if (index >=0) check.")
            }
            if off < 0 || size == 0 || off + size > Int(reg.range) {
                throw VerificationFailure(
                    "invalid access to packet, off=\(off) size=\(size), R\(base)(id=\(reg.id),off=\(off),r=\(reg.range))",
                    "R\(base) offset is outside of the packet")
            }
        case .btfID:
            try btfAccess(pc: pc, base: base, reg: reg, offset: off, size: size, write: write, result: &result)
        default:
            throw VerificationFailure("R\(base) invalid mem access '\(reg.typeName())'")
        }
        if !write, valueRegister >= 0 {
            if result.kind == .scalar, size < 8 {
                result = signExtend ? .scalar(result.value.signExtended(from: size * 8)) : .scalar(coerce(result.value, bytes: size))
            }
            state[register: valueRegister] = result
        }
    }

    func coerce(_ v: ScalarValue, bytes: Int) -> ScalarValue {
        let mask = (UInt64(1) << UInt64(bytes * 8)) - 1
        if let c = v.constantValue { return .constant(c & mask) }
        if v.umax <= mask { return v }
        return .unsigned(bytes: bytes)
    }

    /// `check_mem_region_access`.
    func checkRegion(base: Int, reg: RegisterState, offset: Int, size: Int, limit: Int, what: String) throws(VerificationFailure) {
        let v = reg.value
        if v.smin < 0 && (v.smin == .min || v.smin + Int64(offset) < 0 || Int64(offset) + v.smin != Int64(Int32(truncatingIfNeeded: Int64(offset) + v.smin))) {
            throw VerificationFailure("R\(base) min value is negative, either use unsigned index or do a if (index >=0) check.")
        }
        let low = Int(v.smin) + offset
        if low < 0 || size == 0 || low + size > limit {
            throw VerificationFailure(what, "R\(base) min value is outside of the allowed memory range")
        }
        if v.umax >= UInt64(Self.maxVariableOffset) {
            throw VerificationFailure("R\(base) unbounded memory access, make sure to bounds check any such access")
        }
        let high = Int(v.umax) + offset
        if high + size > limit {
            let kindText = what.prefix { $0 != "=" }
            let rewritten = what.replacingFirstOffset(with: high)
            _ = kindText
            throw VerificationFailure(rewritten, "R\(base) max value is outside of the allowed memory range")
        }
    }

    /// Stack loads and stores (`check_stack_read/write_fixed_off`, var-offset forms for root).
    func stackAccess(
        base: Int, reg: RegisterState, offset: Int, size: Int, write: Bool, valueRegister: Int, immediate: Int64?,
        result: inout RegisterState, state: inout VerifierState
    ) throws(VerificationFailure) {
        let frameIndex = reg.frame
        let minOff = Int(reg.value.smin) + offset
        let maxOff = Int(Int64(bitPattern: min(reg.value.umax, UInt64(Int64.max)))) + offset
        let constant = reg.value.isConstant
        let first = constant ? Int(Int64(bitPattern: reg.value.bits.value)) + offset : minOff
        if constant {
            if first < -512 || first + size > 0 {
                throw VerificationFailure("invalid \(write ? "write to" : "read from") stack R\(base) off=\(first) size=\(size)")
            }
        } else if reg.value.smin == .min || minOff < -512 || maxOff + size > 0 || reg.value.smax > 0 && maxOff + size > 0 {
            throw VerificationFailure(
                "invalid variable-offset \(write ? "write to" : "read from") stack R\(base) var_off=\(reg.value.bits.description) off=\(offset) size=\(size)")
        }
        var frame = state.frames[frameIndex]
        // A write is stored back below: drop the state's reference to the slots first, so they
        // are changed in place rather than copied (the state is not used again if this throws).
        if write { state.frames[frameIndex].stack = [] }
        if !constant {
            // Variable offset: every byte it may touch.
            for byte in minOff..<(maxOff + size) {
                let s = frame.slot(for: byte)
                let b = (byte + 512) % 8
                if write {
                    if frame.stack[s].isSpill { frame.stack[s].bytes = Array(repeating: .misc, count: 8) }
                    if frame.stack[s].bytes[b] != .zero || true { frame.stack[s].bytes[b] = .misc }
                }
            }
            state.frames[frameIndex] = frame
            result = .scalar(.unsigned(bytes: size))
            return
        }
        let slotIndex = frame.slot(for: first)
        let byteInSlot = (first + 512) % 8
        if write {
            var value: RegisterState? = valueRegister >= 0 ? state[register: valueRegister] : nil
            if value == nil, let immediate { value = .constant(UInt64(bitPattern: immediate)) }
            if frame.stack[slotIndex].isSpill && size != 8 || frame.stack[slotIndex].isSpill && byteInSlot != 0 {
                // scrub the spill: its bytes become misc
                for i in 0..<8 where frame.stack[slotIndex].bytes[i] == .spill { frame.stack[slotIndex].bytes[i] = .misc }
                frame.stack[slotIndex].spilled = .notInitialized
                frame.stack[slotIndex].spillSize = 0
            }
            // An aligned scalar store, from a register or an immediate (`BPF_ST`), is a spill
            // (`check_stack_write_fixed_off` for a bpf_capable loader).
            if byteInSlot == 0, let value, value.kind == .scalar, valueRegister >= 0 || immediate != nil {
                do {
                    var spilled = value
                    if size < 8 {
                        spilled.value = coerce(value.value, bytes: size)
                        if spilled.value != value.value { spilled.id = 0 }
                    }
                    frame.stack[slotIndex].spilled = spilled
                    frame.stack[slotIndex].spillSize = size
                    for i in 0..<8 {
                        if i < size {
                            frame.stack[slotIndex].bytes[i] = .spill
                        } else if frame.stack[slotIndex].bytes[i] == .spill {
                            frame.stack[slotIndex].bytes[i] = .misc
                        }
                    }
                }
            } else if byteInSlot == 0, size == 8, let value {
                frame.stack[slotIndex].bytes = Array(repeating: .spill, count: 8)
                frame.stack[slotIndex].spilled = value
                frame.stack[slotIndex].spillSize = 8
            } else {
                if let value, value.isPointer, size != 8 { throw VerificationFailure("invalid size of register spill") }
                let isZero = value.map { $0.kind == .scalar && $0.value.constantValue == 0 } ?? false
                for i in 0..<size { frame.stack[slotIndex].bytes[byteInSlot + i] = isZero ? .zero : .misc }
            }
            state.frames[frameIndex] = frame
            return
        }
        let slot = frame.stack[slotIndex]
        if slot.isSpill {
            if size == 8 && slot.spillSize == 8 {
                result = slot.spilled
                return
            }
            if slot.spilled.kind != .scalar { throw VerificationFailure("invalid size of register fill") }
            if byteInSlot == 0, size <= slot.spillSize {
                result = slot.spilled
                if slot.spilled.value.umax > (size >= 8 ? UInt64.max : (UInt64(1) << UInt64(size * 8)) - 1) { result.id = 0 }
                return
            }
        }
        let bytes = slot.bytes[byteInSlot..<(byteInSlot + size)]
        if bytes.allSatisfy({ $0 == .zero }) || (bytes.allSatisfy({ $0 == .spill }) && slot.spilled.value.constantValue == 0) {
            result = .constant(0)
        } else {
            result = .unknownScalar()
        }
        state.frames[frameIndex] = frame
    }

    /// `check_generic_ptr_alignment` when strict (atomics): var_off + off + insn off must be a
    /// multiple of the size.
    func checkStrictAlignment(_ reg: RegisterState, offset insnOffset: Int, size: Int) throws(VerificationFailure) {
        let bits = reg.value.bits
        let constantPart = bits.value &+ UInt64(bitPattern: Int64(reg.offset) &+ Int64(insnOffset))
        let lowMask = UInt64(size - 1)
        // aligned when no low bit can be set: the unknown bits and the sum's known bits
        if (bits.mask & lowMask) == 0 && (constantPart & lowMask) == 0 { return }
        let description: String
        switch reg.kind {
        case .mapValue: description = "value "
        case .mapKey: description = "key "
        case .context: description = "context "
        default: description = ""
        }
        let varOff = reg.value.isConstant ? "\(Int64(bitPattern: bits.value))" : bits.description
        throw VerificationFailure("misaligned \(description)access off \(varOff)+\(reg.offset)+\(insnOffset) size \(size)")
    }
}

extension String {
    /// `... off=N size=M` with N replaced.
    fileprivate func replacingFirstOffset(with value: Int) -> String {
        let parts = split(separator: " ", omittingEmptySubsequences: false)
        return parts.map { $0.hasPrefix("off=") ? "off=\(value)" : String($0) }.joined(separator: " ")
    }
}
