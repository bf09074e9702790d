import BPFObject
import Kfuncs

extension Verifier {
    func call(pc: Int, _ insn: Instruction, state: inout VerifierState) throws(VerificationFailure) -> Outcome {
        switch insn.source {
        case Opcode.pseudoCall:
            return try subprogramCall(pc: pc, insn, state: &state)
        case Opcode.pseudoKfuncCall:
            try kfuncCall(pc: pc, insn, state: &state)
            return .next(pc + 1)
        case 0:
            try helperCall(pc: pc, insn, state: &state)
            return .next(pc + 1)
        default:
            throw VerificationFailure("unknown call source \(insn.source)")
        }
    }

    static let maxCallFrames = 8

    func subprogramCall(pc: Int, _ insn: Instruction, state: inout VerifierState) throws(VerificationFailure) -> Outcome {
        if state.frames.count >= Self.maxCallFrames {
            throw VerificationFailure("the call stack of \(state.frames.count + 1) frames is too deep !")
        }
        let target = pc + 1 + Int(insn.immediate)
        var frame = FrameState(frameNumber: state.frames.count)
        frame.callSite = pc
        for r in 1...5 { frame.registers[r] = state[register: r] }
        for r in 0...5 { state[register: r] = .notInitialized }
        state.frames.append(frame)
        if options.logLevel >= 1 { logCall(state, target: target) }
        return .next(target)
    }

    // MARK: helpers

    func helperCall(pc: Int, _ insn: Instruction, state: inout VerifierState) throws(VerificationFailure) {
        let id = insn.immediate
        if id < 0 || id >= HelperAvailability.maximumID { throw VerificationFailure("invalid func unknown#\(id)") }
        if HelperAvailability.allows(id, in: program.type) == false {
            throw VerificationFailure("program of this type cannot use helper \(HelperAvailability.name(id))#\(id)")
        }
        guard let proto = HelperPrototype.prototype(id) else {
            if HelperNames.name(id) == nil { throw VerificationFailure("invalid func unknown#\(id)") }
            // A helper ctsim does not model: checked only for initialised arguments it reads not at all.
            clobberCallerSaved(&state)
            state[register: 0] = .unknownScalar()
            return
        }
        if !proto.programTypes.isEmpty, !proto.programTypes.contains(program.type) {
            throw VerificationFailure("program of this type cannot use helper \(proto.name)#\(id)")
        }
        var mapIndex = -1
        var i = 0
        while i < proto.arguments.count {
            let r = i + 1
            let arg = proto.arguments[i]
            try checkRegisterArgument(r, state)
            let reg = state[register: r]
            switch arg {
            case .anything:
                break
            case .constMapPointer:
                guard reg.kind == .mapPointer else { throw typeMismatch(r, reg, expected: ["map_ptr"]) }
                mapIndex = reg.map
            case .context:
                guard reg.kind == .context else { throw typeMismatch(r, reg, expected: ["ctx"]) }
                if reg.offset != 0 { throw VerificationFailure("dereference of modified ctx ptr R\(r) off=\(reg.offset) disallowed") }
            case .mapKey, .mapValue:
                guard [.stack, .packet, .packetMeta, .mapKey, .mapValue].contains(reg.kind) else {
                    throw typeMismatch(r, reg, expected: Self.memoryTypes)
                }
                guard mapIndex >= 0, mapIndex < program.maps.count else { throw VerificationFailure("invalid map_ptr to access map->key") }
                let size = arg == .mapKey ? program.maps[mapIndex].keySize : program.maps[mapIndex].valueSize
                try memoryArgument(r, reg, size: size, write: false, state: &state)
            case .memory, .memoryOrNull, .uninitializedMemory:
                let sizeReg = r + 1
                try checkRegisterArgument(sizeReg, state)
                let size = state[register: sizeReg]
                let zeroAllowed = i + 1 < proto.arguments.count && proto.arguments[i + 1] == .constSizeOrZero
                if arg == .memoryOrNull, reg.kind == .scalar, reg.value.constantValue == 0 {
                    i += 2
                    continue
                }
                guard [.stack, .packet, .packetMeta, .mapKey, .mapValue, .memory].contains(reg.kind) else {
                    if zeroAllowed, reg.kind == .scalar, reg.value.constantValue == 0, size.value.constantValue == 0 {
                        i += 2
                        continue
                    }
                    throw typeMismatch(r, reg, expected: Self.memoryTypes)
                }
                let length = try sizeArgument(sizeReg, size, zeroAllowed: zeroAllowed)
                try memoryArgument(r, reg, size: length, write: arg == .uninitializedMemory, state: &state)
                i += 2
                continue
            case .constSize, .constSizeOrZero:
                break
            }
            i += 1
        }
        if id == 12, !state.references.isEmpty {
            throw VerificationFailure(lines: state.references.map { "Unreleased reference id=\($0.id) alloc_insn=\($0.instruction)" }
                + ["tail_call would lead to reference leak"])
        }
        let keyRegister = state[register: 2]
        let keyFrame = keyRegister.kind == .stack && keyRegister.frame < state.frames.count ? state.frames[keyRegister.frame] : nil
        clobberCallerSaved(&state)
        switch proto.returns {
        case .integer: state[register: 0] = .unknownScalar()
        case .void: state[register: 0] = .notInitialized
        case .mapValueOrNull:
            var r0 = RegisterState(kind: .mapValueOrNull)
            r0.map = mapIndex
            if id == 1, let keyFrame, constantKeyInRange(map: mapIndex, key: keyRegister, frame: keyFrame) {
                // 6.13+ (`can_elide_value_nullness`): an array lookup with a constant key below
                // max_entries cannot fail.
                r0.kind = .mapValue
            } else {
                r0.id = nextID()
            }
            state[register: 0] = r0
        }
        if proto.changesPacketData { invalidatePacketPointers(&state) }
    }

    static let memoryTypes = ["fp", "pkt", "pkt_meta", "map_key", "map_value", "mem", "ringbuf_mem", "buf", "trusted_ptr_"]

    func typeMismatch(_ r: Int, _ reg: RegisterState, expected: [String]) -> VerificationFailure {
        VerificationFailure("R\(r) type=\(reg.typeName()) expected=\(expected.joined(separator: ", "))")
    }

    func clobberCallerSaved(_ state: inout VerifierState) {
        for r in 1...5 { state[register: r] = .notInitialized }
    }

    func invalidatePacketPointers(_ state: inout VerifierState) {
        state.forEachRegister { reg in
            if reg.kind == .packet || reg.kind == .packetMeta || reg.kind == .packetEnd { reg = .unknownScalar() }
        }
    }

    /// `check_mem_size_reg`: the size register of a (pointer, size) pair; returns the size to check.
    func sizeArgument(_ r: Int, _ reg: RegisterState, zeroAllowed: Bool) throws(VerificationFailure) -> Int {
        guard reg.kind == .scalar else { throw typeMismatch(r, reg, expected: ["scalar"]) }
        let v = reg.value
        if v.smin < 0 {
            throw VerificationFailure("R\(r) min value is negative, either use unsigned index or do a if (index >=0) check.")
        }
        if v.umin == 0 && !zeroAllowed {
            throw VerificationFailure("R\(r) invalid zero-sized read: u64=[\(v.umin),\(v.umax)]")
        }
        if v.umax >= 1 << 29 {
            throw VerificationFailure("R\(r) unbounded memory access, use 'var &= const' or 'if (var < const)'")
        }
        return Int(v.umax)
    }

    /// `check_helper_mem_access`: `size` bytes at `reg` readable (or writable).
    func memoryArgument(_ r: Int, _ reg: RegisterState, size: Int, write: Bool, state: inout VerifierState) throws(VerificationFailure) {
        let off = Int(reg.offset)
        switch reg.kind {
        case .packet, .packetMeta:
            if reg.value.smin < 0 {
                throw VerificationFailure("R\(r) min value is negative, either use unsigned index or do a if (index >=0) check.")
            }
            if off < 0 || off + size > Int(reg.range) {
                throw VerificationFailure(
                    "invalid access to packet, off=\(off) size=\(size), R\(r)(id=\(reg.id),off=\(off),r=\(reg.range))",
                    "R\(r) offset is outside of the packet")
            }
        case .mapValue:
            let map = program.maps[reg.map]
            try checkRegion(base: r, reg: reg, offset: off, size: size, limit: map.valueSize,
                what: "invalid access to map value, value_size=\(map.valueSize) off=\(Int(reg.value.smin) + off) size=\(size)")
        case .mapKey:
            let keySize = program.maps[reg.map].keySize
            try checkRegion(base: r, reg: reg, offset: off, size: size, limit: keySize,
                what: "invalid access to map key, key_size=\(keySize) off=\(Int(reg.value.smin) + off) size=\(size)")
        case .memory:
            try checkRegion(base: r, reg: reg, offset: off, size: size, limit: reg.memorySize,
                what: "invalid access to memory, mem_size=\(reg.memorySize) off=\(Int(reg.value.smin) + off) size=\(size)")
        case .stack:
            let start = Int(Int64(bitPattern: reg.value.bits.value)) + off
            if !reg.value.isConstant {
                let lo = Int(reg.value.smin) + off, hi = Int(reg.value.smax) + off
                if lo < -512 || hi + size > 0 {
                    throw VerificationFailure(
                        "invalid variable-offset \(write ? "write to" : "read from") stack R\(r) var_off=\(reg.value.bits.description) off=\(off) size=\(size)")
                }
                return
            }
            if size == 0 { return }
            if start < -512 || start + size > 0 {
                throw VerificationFailure("invalid \(write ? "write to" : "read from") stack R\(r) off=\(start) size=\(size)")
            }
            if write {
                var frame = state.frames[reg.frame]
                state.frames[reg.frame].stack = []  // changed in place, stored back below
                for byte in start..<(start + size) {
                    let s = frame.slot(for: byte)
                    if frame.stack[s].isSpill { frame.stack[s].bytes = Array(repeating: .misc, count: 8) }
                    frame.stack[s].bytes[(byte + 512) % 8] = .misc
                }
                state.frames[reg.frame] = frame
            }
        default:
            if size == 0, reg.kind == .scalar, reg.value.constantValue == 0 { return }
            throw VerificationFailure("R\(r) type=\(reg.typeName()) expected=fp")
        }
    }

    /// `get_constant_map_key` + `can_elide_value_nullness`: an array or per-CPU array map, and a
    /// key pointer to stack bytes that hold a known constant (zeroed bytes, or a scalar spill of
    /// exactly the key's size) below max_entries.
    func constantKeyInRange(map index: Int, key: RegisterState, frame: FrameState) -> Bool {
        guard index >= 0, index < program.maps.count else { return false }
        let map = program.maps[index]
        guard map.type == .array || map.type == .perCPUArray, key.kind == .stack, key.value.isConstant else { return false }
        let first = Int(Int64(bitPattern: key.value.bits.value)) + Int(key.offset)
        guard first < 0, first >= -512 else { return false }
        let slotIndex = (-first - 1) / 8
        guard slotIndex < frame.stack.count else { return false }
        let slot = frame.stack[slotIndex]
        let start = (first + 512) % 8
        var zeros = 0
        while start + zeros < 8, slot.bytes[start + zeros] == .zero { zeros += 1 }
        var value: UInt64
        if zeros >= map.keySize {
            value = 0
        } else {
            guard slot.isSpill, slot.spilled.kind == .scalar, let c = slot.spilled.value.constantValue else { return false }
            var spilled = 0
            while start + spilled < 8, slot.bytes[start + spilled] == .spill { spilled += 1 }
            guard spilled == map.keySize else { return false }
            value = c
        }
        return value < UInt64(map.maxEntries)
    }
}
