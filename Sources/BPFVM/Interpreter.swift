/// The interpreter's loop. See `Documentation`-style notes in README ("The VM"): pc, the budget,
/// the code and region-table pointers live in locals; registers and memory go through unsafe
/// pointers; arithmetic wraps; nothing here retains, allocates, captures or throws. Everything
/// unusual (a fault, a context access, a helper call) leaves through an `@inline(never)` method.
extension BPFMachine {
    /// Runs from instruction 0 of `entry`; returns r0, or nil with `pendingError` set.
    func interpret(_ entry: UnsafeMutablePointer<DecodedInstruction>, budget: inout Int) -> UInt64? {
        interpret(entry, pc: 0, depth: 0, budget: &budget)
    }

    /// Runs from instruction `start` of `entry` as frame `base` (a callback's subprogram runs one
    /// frame below its caller); the `exit` of frame `base` returns.
    func interpret(
        _ entry: UnsafeMutablePointer<DecodedInstruction>, pc start: Int, depth base: Int, budget: inout Int
    ) -> UInt64? {
        loopAllowance[base] = BPFMachine.maxLoops
        return resume(entry, pc: start, depth: base, base: base, budget: &budget, label: budget)
    }

    /// Goes on at instruction `start` of `entry` in frame `frame` (compiled code hands over here
    /// with the frames, registers and allowances it kept); the `exit` of frame `base` returns.
    /// `label` is the budget a budget fault names.
    func resume(
        _ entry: UnsafeMutablePointer<DecodedInstruction>, pc start: Int, depth frame: Int, base: Int, budget: inout Int,
        label: Int
    ) -> UInt64? {
        let r = registers
        var code = entry
        var pc = start
        var depth = frame
        var remaining = budget
        var regions = memory.table
        var regionCount = UInt64(memory.count)
        // The lowest stack offset this run writes (see `MemoryMap.stackDirtyLow`).
        var stackLow = UInt32.max
        defer {
            budget = remaining
            if stackLow < memory.stackDirtyLow { memory.stackDirtyLow = stackLow }
        }

        while true {
            let i = code[pc]
            let d = Int(i.dst)
            pc &+= 1
            remaining &-= 1
            if _slowPath(remaining < 0) {
                remaining = 0
                fault(.budgetExhausted, pc &- 1, "the instruction budget of \(label) ran out")
                return nil
            }
            switch i.op {
            // MARK: ALU64
            case .add64K: r[d] &+= i.immediate
            case .add64X: r[d] &+= r[Int(i.src)]
            case .sub64K: r[d] &-= i.immediate
            case .sub64X: r[d] &-= r[Int(i.src)]
            case .mul64K: r[d] &*= i.immediate
            case .mul64X: r[d] &*= r[Int(i.src)]
            case .div64K: r[d] = i.immediate == 0 ? 0 : r[d] / i.immediate
            case .div64X:
                let v = r[Int(i.src)]
                r[d] = v == 0 ? 0 : r[d] / v
            case .sdiv64K: r[d] = sdiv64(r[d], i.immediate)
            case .sdiv64X: r[d] = sdiv64(r[d], r[Int(i.src)])
            case .or64K: r[d] |= i.immediate
            case .or64X: r[d] |= r[Int(i.src)]
            case .and64K: r[d] &= i.immediate
            case .and64X: r[d] &= r[Int(i.src)]
            case .lsh64K: r[d] = r[d] &<< (i.immediate & 63)
            case .lsh64X: r[d] = r[d] &<< (r[Int(i.src)] & 63)
            case .rsh64K: r[d] = r[d] &>> (i.immediate & 63)
            case .rsh64X: r[d] = r[d] &>> (r[Int(i.src)] & 63)
            case .neg64: r[d] = 0 &- r[d]
            case .mod64K: if i.immediate != 0 { r[d] = r[d] % i.immediate }
            case .mod64X:
                let v = r[Int(i.src)]
                if v != 0 { r[d] = r[d] % v }
            case .smod64K: r[d] = smod64(r[d], i.immediate)
            case .smod64X: r[d] = smod64(r[d], r[Int(i.src)])
            case .xor64K: r[d] ^= i.immediate
            case .xor64X: r[d] ^= r[Int(i.src)]
            case .mov64K: r[d] = i.immediate
            case .mov64X: r[d] = r[Int(i.src)]
            case .arsh64K: r[d] = UInt64(bitPattern: Int64(bitPattern: r[d]) &>> Int64(i.immediate & 63))
            case .arsh64X: r[d] = UInt64(bitPattern: Int64(bitPattern: r[d]) &>> Int64(r[Int(i.src)] & 63))
            case .movsx64b: r[d] = UInt64(bitPattern: Int64(Int8(truncatingIfNeeded: r[Int(i.src)])))
            case .movsx64h: r[d] = UInt64(bitPattern: Int64(Int16(truncatingIfNeeded: r[Int(i.src)])))
            case .movsx64w: r[d] = UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: r[Int(i.src)])))

            // MARK: ALU32
            case .add32K: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]) &+ UInt32(truncatingIfNeeded: i.immediate))
            case .add32X: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]) &+ UInt32(truncatingIfNeeded: r[Int(i.src)]))
            case .sub32K: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]) &- UInt32(truncatingIfNeeded: i.immediate))
            case .sub32X: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]) &- UInt32(truncatingIfNeeded: r[Int(i.src)]))
            case .mul32K: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]) &* UInt32(truncatingIfNeeded: i.immediate))
            case .mul32X: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]) &* UInt32(truncatingIfNeeded: r[Int(i.src)]))
            case .div32K: r[d] = div32(r[d], i.immediate)
            case .div32X: r[d] = div32(r[d], r[Int(i.src)])
            case .sdiv32K: r[d] = sdiv32(r[d], i.immediate)
            case .sdiv32X: r[d] = sdiv32(r[d], r[Int(i.src)])
            case .or32K: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]) | UInt32(truncatingIfNeeded: i.immediate))
            case .or32X: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]) | UInt32(truncatingIfNeeded: r[Int(i.src)]))
            case .and32K: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]) & UInt32(truncatingIfNeeded: i.immediate))
            case .and32X: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]) & UInt32(truncatingIfNeeded: r[Int(i.src)]))
            case .lsh32K: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]) &<< UInt32(truncatingIfNeeded: i.immediate & 31))
            case .lsh32X: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]) &<< UInt32(truncatingIfNeeded: r[Int(i.src)] & 31))
            case .rsh32K: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]) &>> UInt32(truncatingIfNeeded: i.immediate & 31))
            case .rsh32X: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]) &>> UInt32(truncatingIfNeeded: r[Int(i.src)] & 31))
            case .neg32: r[d] = UInt64(0 &- UInt32(truncatingIfNeeded: r[d]))
            case .mod32K: r[d] = mod32(r[d], i.immediate)
            case .mod32X: r[d] = mod32(r[d], r[Int(i.src)])
            case .smod32K: r[d] = smod32(r[d], i.immediate)
            case .smod32X: r[d] = smod32(r[d], r[Int(i.src)])
            case .xor32K: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]) ^ UInt32(truncatingIfNeeded: i.immediate))
            case .xor32X: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]) ^ UInt32(truncatingIfNeeded: r[Int(i.src)]))
            case .mov32K: r[d] = UInt64(UInt32(truncatingIfNeeded: i.immediate))
            case .mov32X: r[d] = UInt64(UInt32(truncatingIfNeeded: r[Int(i.src)]))
            case .arsh32K:
                r[d] = UInt64(UInt32(bitPattern: Int32(truncatingIfNeeded: r[d]) &>> Int32(truncatingIfNeeded: i.immediate & 31)))
            case .arsh32X:
                r[d] = UInt64(UInt32(bitPattern: Int32(truncatingIfNeeded: r[d]) &>> Int32(truncatingIfNeeded: r[Int(i.src)] & 31)))
            case .movsx32b: r[d] = UInt64(UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: r[Int(i.src)]))))
            case .movsx32h: r[d] = UInt64(UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: r[Int(i.src)]))))

            // MARK: Byte order
            case .zext16: r[d] &= 0xFFFF
            case .zext32: r[d] &= 0xFFFF_FFFF
            case .nop: break
            case .bswap16: r[d] = UInt64(UInt16(truncatingIfNeeded: r[d]).byteSwapped)
            case .bswap32: r[d] = UInt64(UInt32(truncatingIfNeeded: r[d]).byteSwapped)
            case .bswap64: r[d] = r[d].byteSwapped

            case .lddw:
                r[d] = i.immediate
                pc &+= 1

            // MARK: Jumps
            case .ja: pc = Int(i.offset)
            case .jeq64K: if r[d] == i.immediate { pc = Int(i.offset) }
            case .jeq64X: if r[d] == r[Int(i.src)] { pc = Int(i.offset) }
            case .jgt64K: if r[d] > i.immediate { pc = Int(i.offset) }
            case .jgt64X: if r[d] > r[Int(i.src)] { pc = Int(i.offset) }
            case .jge64K: if r[d] >= i.immediate { pc = Int(i.offset) }
            case .jge64X: if r[d] >= r[Int(i.src)] { pc = Int(i.offset) }
            case .jset64K: if r[d] & i.immediate != 0 { pc = Int(i.offset) }
            case .jset64X: if r[d] & r[Int(i.src)] != 0 { pc = Int(i.offset) }
            case .jne64K: if r[d] != i.immediate { pc = Int(i.offset) }
            case .jne64X: if r[d] != r[Int(i.src)] { pc = Int(i.offset) }
            case .jsgt64K: if Int64(bitPattern: r[d]) > Int64(bitPattern: i.immediate) { pc = Int(i.offset) }
            case .jsgt64X: if Int64(bitPattern: r[d]) > Int64(bitPattern: r[Int(i.src)]) { pc = Int(i.offset) }
            case .jsge64K: if Int64(bitPattern: r[d]) >= Int64(bitPattern: i.immediate) { pc = Int(i.offset) }
            case .jsge64X: if Int64(bitPattern: r[d]) >= Int64(bitPattern: r[Int(i.src)]) { pc = Int(i.offset) }
            case .jlt64K: if r[d] < i.immediate { pc = Int(i.offset) }
            case .jlt64X: if r[d] < r[Int(i.src)] { pc = Int(i.offset) }
            case .jle64K: if r[d] <= i.immediate { pc = Int(i.offset) }
            case .jle64X: if r[d] <= r[Int(i.src)] { pc = Int(i.offset) }
            case .jslt64K: if Int64(bitPattern: r[d]) < Int64(bitPattern: i.immediate) { pc = Int(i.offset) }
            case .jslt64X: if Int64(bitPattern: r[d]) < Int64(bitPattern: r[Int(i.src)]) { pc = Int(i.offset) }
            case .jsle64K: if Int64(bitPattern: r[d]) <= Int64(bitPattern: i.immediate) { pc = Int(i.offset) }
            case .jsle64X: if Int64(bitPattern: r[d]) <= Int64(bitPattern: r[Int(i.src)]) { pc = Int(i.offset) }
            case .jeq32K: if u32(r[d]) == u32(i.immediate) { pc = Int(i.offset) }
            case .jeq32X: if u32(r[d]) == u32(r[Int(i.src)]) { pc = Int(i.offset) }
            case .jgt32K: if u32(r[d]) > u32(i.immediate) { pc = Int(i.offset) }
            case .jgt32X: if u32(r[d]) > u32(r[Int(i.src)]) { pc = Int(i.offset) }
            case .jge32K: if u32(r[d]) >= u32(i.immediate) { pc = Int(i.offset) }
            case .jge32X: if u32(r[d]) >= u32(r[Int(i.src)]) { pc = Int(i.offset) }
            case .jset32K: if u32(r[d]) & u32(i.immediate) != 0 { pc = Int(i.offset) }
            case .jset32X: if u32(r[d]) & u32(r[Int(i.src)]) != 0 { pc = Int(i.offset) }
            case .jne32K: if u32(r[d]) != u32(i.immediate) { pc = Int(i.offset) }
            case .jne32X: if u32(r[d]) != u32(r[Int(i.src)]) { pc = Int(i.offset) }
            case .jsgt32K: if s32(r[d]) > s32(i.immediate) { pc = Int(i.offset) }
            case .jsgt32X: if s32(r[d]) > s32(r[Int(i.src)]) { pc = Int(i.offset) }
            case .jsge32K: if s32(r[d]) >= s32(i.immediate) { pc = Int(i.offset) }
            case .jsge32X: if s32(r[d]) >= s32(r[Int(i.src)]) { pc = Int(i.offset) }
            case .jlt32K: if u32(r[d]) < u32(i.immediate) { pc = Int(i.offset) }
            case .jlt32X: if u32(r[d]) < u32(r[Int(i.src)]) { pc = Int(i.offset) }
            case .jle32K: if u32(r[d]) <= u32(i.immediate) { pc = Int(i.offset) }
            case .jle32X: if u32(r[d]) <= u32(r[Int(i.src)]) { pc = Int(i.offset) }
            case .jslt32K: if s32(r[d]) < s32(i.immediate) { pc = Int(i.offset) }
            case .jslt32X: if s32(r[d]) < s32(r[Int(i.src)]) { pc = Int(i.offset) }
            case .jsle32K: if s32(r[d]) <= s32(i.immediate) { pc = Int(i.offset) }
            case .jsle32X: if s32(r[d]) <= s32(r[Int(i.src)]) { pc = Int(i.offset) }

            // MARK: Loads (one case per width: no second dispatch on the size)
            case .ldxb:
                let address = r[Int(i.src)] &+ UInt64(bitPattern: Int64(i.offset))
                if let p = translate(regions, regionCount, address, 1, write: false) {
                    r[d] = UInt64(p.load(as: UInt8.self))
                } else if let value = slowLoad(address, 1, pc &- 1) { r[d] = value } else { return nil }
            case .ldxh:
                let address = r[Int(i.src)] &+ UInt64(bitPattern: Int64(i.offset))
                if let p = translate(regions, regionCount, address, 2, write: false) {
                    r[d] = UInt64(p.loadUnaligned(as: UInt16.self))
                } else if let value = slowLoad(address, 2, pc &- 1) { r[d] = value } else { return nil }
            case .ldxw:
                let address = r[Int(i.src)] &+ UInt64(bitPattern: Int64(i.offset))
                if let p = translate(regions, regionCount, address, 4, write: false) {
                    r[d] = UInt64(p.loadUnaligned(as: UInt32.self))
                } else if let value = slowLoad(address, 4, pc &- 1) { r[d] = value } else { return nil }
            case .ldxdw:
                let address = r[Int(i.src)] &+ UInt64(bitPattern: Int64(i.offset))
                if let p = translate(regions, regionCount, address, 8, write: false) {
                    r[d] = p.loadUnaligned(as: UInt64.self)
                } else if let value = slowLoad(address, 8, pc &- 1) { r[d] = value } else { return nil }
            case .ldxsb:
                let address = r[Int(i.src)] &+ UInt64(bitPattern: Int64(i.offset))
                if let p = translate(regions, regionCount, address, 1, write: false) {
                    r[d] = UInt64(bitPattern: Int64(p.load(as: Int8.self)))
                } else if let value = slowLoad(address, 1, pc &- 1) { r[d] = signExtendLoad(i.op, value) } else { return nil }
            case .ldxsh:
                let address = r[Int(i.src)] &+ UInt64(bitPattern: Int64(i.offset))
                if let p = translate(regions, regionCount, address, 2, write: false) {
                    r[d] = UInt64(bitPattern: Int64(p.loadUnaligned(as: Int16.self)))
                } else if let value = slowLoad(address, 2, pc &- 1) { r[d] = signExtendLoad(i.op, value) } else { return nil }
            case .ldxsw:
                let address = r[Int(i.src)] &+ UInt64(bitPattern: Int64(i.offset))
                if let p = translate(regions, regionCount, address, 4, write: false) {
                    r[d] = UInt64(bitPattern: Int64(p.loadUnaligned(as: Int32.self)))
                } else if let value = slowLoad(address, 4, pc &- 1) { r[d] = signExtendLoad(i.op, value) } else { return nil }

            // MARK: Stores (one case per width and source)
            case .stb:
                guard store(UInt8.self, i.immediate, r[d] &+ UInt64(bitPattern: Int64(i.offset)), regions, regionCount, &stackLow, pc)
                else { return nil }
            case .sth:
                guard store(UInt16.self, i.immediate, r[d] &+ UInt64(bitPattern: Int64(i.offset)), regions, regionCount, &stackLow, pc)
                else { return nil }
            case .stw:
                guard store(UInt32.self, i.immediate, r[d] &+ UInt64(bitPattern: Int64(i.offset)), regions, regionCount, &stackLow, pc)
                else { return nil }
            case .stdw:
                guard store(UInt64.self, i.immediate, r[d] &+ UInt64(bitPattern: Int64(i.offset)), regions, regionCount, &stackLow, pc) else { return nil }
            case .stxb:
                guard store(UInt8.self, r[Int(i.src)], r[d] &+ UInt64(bitPattern: Int64(i.offset)), regions, regionCount, &stackLow, pc)
                else { return nil }
            case .stxh:
                guard store(UInt16.self, r[Int(i.src)], r[d] &+ UInt64(bitPattern: Int64(i.offset)), regions, regionCount, &stackLow, pc)
                else { return nil }
            case .stxw:
                guard store(UInt32.self, r[Int(i.src)], r[d] &+ UInt64(bitPattern: Int64(i.offset)), regions, regionCount, &stackLow, pc)
                else { return nil }
            case .stxdw:
                guard store(UInt64.self, r[Int(i.src)], r[d] &+ UInt64(bitPattern: Int64(i.offset)), regions, regionCount, &stackLow, pc) else { return nil }

            // MARK: Atomics
            case .atomicAdd32, .atomicOr32, .atomicAnd32, .atomicXor32, .atomicFetchAdd32, .atomicFetchOr32,
                .atomicFetchAnd32, .atomicFetchXor32, .xchg32, .cmpxchg32:
                let address = r[d] &+ UInt64(bitPattern: Int64(i.offset))
                guard let p = translate(regions, regionCount, address, 4, write: true) else {
                    memoryFault(address, 4, write: true, pc &- 1)
                    return nil
                }
                noteStackWrite(address, &stackLow)
                let old = p.loadUnaligned(as: UInt32.self)
                let s = Int(i.src)
                let operand = UInt32(truncatingIfNeeded: r[s])
                switch i.op {
                case .atomicAdd32: p.storeBytes(of: old &+ operand, as: UInt32.self)
                case .atomicOr32: p.storeBytes(of: old | operand, as: UInt32.self)
                case .atomicAnd32: p.storeBytes(of: old & operand, as: UInt32.self)
                case .atomicXor32: p.storeBytes(of: old ^ operand, as: UInt32.self)
                case .atomicFetchAdd32:
                    p.storeBytes(of: old &+ operand, as: UInt32.self)
                    r[s] = UInt64(old)
                case .atomicFetchOr32:
                    p.storeBytes(of: old | operand, as: UInt32.self)
                    r[s] = UInt64(old)
                case .atomicFetchAnd32:
                    p.storeBytes(of: old & operand, as: UInt32.self)
                    r[s] = UInt64(old)
                case .atomicFetchXor32:
                    p.storeBytes(of: old ^ operand, as: UInt32.self)
                    r[s] = UInt64(old)
                case .xchg32:
                    p.storeBytes(of: operand, as: UInt32.self)
                    r[s] = UInt64(old)
                default:
                    if old == UInt32(truncatingIfNeeded: r[0]) { p.storeBytes(of: operand, as: UInt32.self) }
                    r[0] = UInt64(old)
                }
            case .atomicAdd64, .atomicOr64, .atomicAnd64, .atomicXor64, .atomicFetchAdd64, .atomicFetchOr64,
                .atomicFetchAnd64, .atomicFetchXor64, .xchg64, .cmpxchg64:
                let address = r[d] &+ UInt64(bitPattern: Int64(i.offset))
                guard let p = translate(regions, regionCount, address, 8, write: true) else {
                    memoryFault(address, 8, write: true, pc &- 1)
                    return nil
                }
                noteStackWrite(address, &stackLow)
                let old = p.loadUnaligned(as: UInt64.self)
                let s = Int(i.src)
                let operand = r[s]
                switch i.op {
                case .atomicAdd64: p.storeBytes(of: old &+ operand, as: UInt64.self)
                case .atomicOr64: p.storeBytes(of: old | operand, as: UInt64.self)
                case .atomicAnd64: p.storeBytes(of: old & operand, as: UInt64.self)
                case .atomicXor64: p.storeBytes(of: old ^ operand, as: UInt64.self)
                case .atomicFetchAdd64:
                    p.storeBytes(of: old &+ operand, as: UInt64.self)
                    r[s] = old
                case .atomicFetchOr64:
                    p.storeBytes(of: old | operand, as: UInt64.self)
                    r[s] = old
                case .atomicFetchAnd64:
                    p.storeBytes(of: old & operand, as: UInt64.self)
                    r[s] = old
                case .atomicFetchXor64:
                    p.storeBytes(of: old ^ operand, as: UInt64.self)
                    r[s] = old
                case .xchg64:
                    p.storeBytes(of: operand, as: UInt64.self)
                    r[s] = old
                default:
                    if old == r[0] { p.storeBytes(of: operand, as: UInt64.self) }
                    r[0] = old
                }

            // MARK: Calls
            case .callKfunc:
                // A kfunc runs no program code (only helpers take callbacks), so unlike a helper
                // call it needs neither the code nor the budget handed over.
                switch callOut(i, pc &- 1, depth) {
                case .continue:
                    break
                case .tailCall(let target):
                    code = target.code
                    pc = 0
                case .exit:
                    return r[0]
                case .fault:
                    return nil
                }
                regions = memory.table
                regionCount = UInt64(memory.count)
            case .callHelper, .callx:
                // Callbacks (bpf_loop, bpf_for_each_map_elem) run this program's code and spend
                // this run's budget.
                callCode = code
                callBudget = remaining
                let outcome = callOut(i, pc &- 1, depth)
                remaining = callBudget
                switch outcome {
                case .continue:
                    break
                case .tailCall(let target):
                    code = target.code
                    pc = 0
                case .exit:
                    return r[0]
                case .fault:
                    return nil
                }
                regions = memory.table
                regionCount = UInt64(memory.count)
            case .callLocal:
                guard depth < BPFMachine.maxFrames - 1 else {
                    fault(.callDepth, pc &- 1, "bpf-to-bpf calls nest deeper than \(BPFMachine.maxFrames) frames")
                    return nil
                }
                frames[depth] = Frame(returnPC: pc, code: code, r6: r[6], r7: r[7], r8: r[8], r9: r[9], r10: r[10])
                depth &+= 1
                loopAllowance[depth] = BPFMachine.maxLoops
                r[10] &-= UInt64(BPFMachine.stackFrameSize)
                pc = Int(i.offset)
            case .exit:
                if depth == base { return r[0] }
                depth &-= 1
                let frame = frames[depth]
                pc = frame.returnPC
                code = frame.code
                r[6] = frame.r6
                r[7] = frame.r7
                r[8] = frame.r8
                r[9] = frame.r9
                r[10] = frame.r10
            case .mayGoto:
                if loopAllowance[depth] == 0 { pc = Int(i.offset) } else { loopAllowance[depth] &-= 1 }
            case .trap:
                fault(.invalidInstruction, pc &- 1, "execution fell off the end of the program or into the middle of ld_imm64")
                return nil
            }
        }
    }
}

enum CallResult {
    case `continue`, exit, fault
    case tailCall(VMProgram)
}

/// The host pointer for `size` bytes at `address`, or nil: the tag picks a table entry (entry 0,
/// which has no bytes, for any tag out of range), then one unsigned compare that cannot overflow.
@inline(__always)
func translate(
    _ regions: UnsafeMutablePointer<Region>, _ regionCount: UInt64, _ address: UInt64, _ size: UInt64, write: Bool
) -> UnsafeMutableRawPointer? {
    let tag = address >> 32
    let region = regions[Int(tag < regionCount ? tag : 0)]
    let low = UInt32(truncatingIfNeeded: address) &- region.start
    let limit = write ? region.writeLimit : region.readLimit
    if _fastPath(UInt64(low) &+ size <= limit) {
        return region.base.unsafelyUnwrapped + Int(low)
    }
    return nil
}

/// Lowers `stackLow` to a stack address's offset (the stack region starts at offset 0).
@inline(__always)
func noteStackWrite(_ address: UInt64, _ stackLow: inout UInt32) {
    let low = UInt32(truncatingIfNeeded: address)
    if address >> 32 == UInt64(MemoryMap.stackTag), low < stackLow { stackLow = low }
}

extension BPFMachine {
    /// Stores `value` as a `T` (the access size) at `address`: the fast path, or the slow one (a
    /// rewritten context gets the whole `value`, or a fault). False when the run faulted. `pc` is
    /// the next instruction's.
    @inline(__always)
    func store<T: FixedWidthInteger & UnsignedInteger>(
        _: T.Type, _ value: UInt64, _ address: UInt64, _ regions: UnsafeMutablePointer<Region>, _ regionCount: UInt64, _ stackLow: inout UInt32,
        _ pc: Int
    ) -> Bool {
        if let p = translate(regions, regionCount, address, UInt64(MemoryLayout<T>.size), write: true) {
            noteStackWrite(address, &stackLow)
            p.storeBytes(of: T(truncatingIfNeeded: value), as: T.self)
            return true
        }
        return slowStore(address, MemoryLayout<T>.size, value, pc &- 1)
    }
}

// MARK: Cold paths

extension BPFMachine {
    @inline(never)
    func fault(_ kind: VMError.Kind, _ pc: Int, _ message: String) {
        pendingError = VMError(kind, at: pc, message)
    }

    @inline(never)
    func memoryFault(_ address: UInt64, _ size: Int, write: Bool, _ pc: Int) {
        let what = write ? "store" : "load"
        let region = memory.kind(of: address)
        let reason: String
        switch region {
        case .null: reason = "not a pointer into any region"
        case .released: reason = "the region was released"
        case .mapObject: reason = "a map is not memory"
        default:
            reason = write && memory.limit(tag: UInt32(address >> 32), write: true) == 0 ? "the region is read-only" : "outside the region"
        }
        pendingError = VMError(.memoryFault, at: pc, "\(what) of \(size) bytes at \(memory.describe(address)): \(reason)")
    }

    /// A load the fast path could not serve: a rewritten context, or a fault.
    @inline(never)
    func slowLoad(_ address: UInt64, _ size: Int, _ pc: Int) -> UInt64? {
        if address >> 32 == UInt64(MemoryMap.contextTag) {
            let offset = Int(UInt32(truncatingIfNeeded: address))
            // The packet pointer fields the context published: served here, without a call out.
            let s = state
            if size == 4, s.pointee.contextRewritten, let window = s.pointee.packetWindow, let fields = s.pointee.packetFields {
                let tag = UInt64(MemoryMap.packetTag) << 32
                if offset == fields.data { return tag | UInt64(window.pointee.dataStart) }
                if offset == fields.dataEnd { return tag | UInt64(window.pointee.dataEnd) }
                if offset == fields.dataMeta { return tag | UInt64(window.pointee.metaStart) }
            }
        }
        if address >> 32 == UInt64(MemoryMap.contextTag), let access = contextAccess {
            let offset = Int(UInt32(truncatingIfNeeded: address))
            if let value = access.load(offset: offset, size: size, machine: self) { return value }
            pendingError = VMError(.memoryFault, at: pc, "invalid context access: load of \(size) bytes at offset \(offset)")
            return nil
        }
        memoryFault(address, size, write: false, pc)
        return nil
    }

    @inline(never)
    func slowStore(_ address: UInt64, _ size: Int, _ value: UInt64, _ pc: Int) -> Bool {
        if address >> 32 == UInt64(MemoryMap.contextTag), let access = contextAccess {
            let offset = Int(UInt32(truncatingIfNeeded: address))
            if access.store(offset: offset, size: size, value: value, machine: self) { return true }
            pendingError = VMError(.memoryFault, at: pc, "invalid context access: store of \(size) bytes at offset \(offset)")
            return false
        }
        memoryFault(address, size, write: true, pc)
        return false
    }

    /// A helper, callx or kfunc call: arguments r1-r5, result in r0.
    @inline(never)
    func callOut(_ i: DecodedInstruction, _ pc: Int, _ depth: Int) -> CallResult {
        let r = registers
        let function: ResolvedFunction
        switch i.op {
        case .callHelper:
            function = resolvedHelpers[Int(i.immediate)]
        case .callKfunc:
            function = resolvedKfuncs[Int(i.immediate)]
        default:  // callx: the helper number is in the register
            let number = r[Int(i.dst)]
            guard let id = Int32(exactly: number), let index = helperIndex(for: id) else {
                pendingError = VMError(
                    .unknownCall, at: pc, "callx to \(Int32(exactly: number).map(HelperNames.describe) ?? "helper \(number)"), which the VM does not model")
                return .fault
            }
            function = resolvedHelpers[index]
        }
        let call = HelperCall(machine: self, r1: r[1], r2: r[2], r3: r[3], r4: r[4], r5: r[5], instruction: pc, frame: depth)
        do {
            switch try withExtendedLifetime(function, { () throws(VMError) in try function.call(call) }) {
            case .value(let value):
                r[0] = value
                return .continue
            case .exit(let value):
                r[0] = value
                return .exit
            case .tailCall(let program):
                guard tailCalls < BPFMachine.maxTailCalls else {
                    r[0] = UInt64(bitPattern: -2)  // the call fails and the program goes on
                    return .continue
                }
                tailCalls += 1
                return .tailCall(program)
            }
        } catch {
            pendingError = error
            return .fault
        }
    }
}

// MARK: Arithmetic with the kernel's rules for zero and overflow

@inline(__always) func u32(_ v: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: v) }
@inline(__always) func s32(_ v: UInt64) -> Int32 { Int32(truncatingIfNeeded: v) }

@inline(__always)
func sdiv64(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let x = Int64(bitPattern: a)
    let y = Int64(bitPattern: b)
    if y == 0 { return 0 }
    if y == -1 { return UInt64(bitPattern: 0 &- x) }
    return UInt64(bitPattern: x / y)
}

@inline(__always)
func smod64(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let x = Int64(bitPattern: a)
    let y = Int64(bitPattern: b)
    if y == 0 { return a }
    if y == -1 { return 0 }
    return UInt64(bitPattern: x % y)
}

@inline(__always)
func div32(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let y = UInt32(truncatingIfNeeded: b)
    return y == 0 ? 0 : UInt64(UInt32(truncatingIfNeeded: a) / y)
}

@inline(__always)
func mod32(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let y = UInt32(truncatingIfNeeded: b)
    let x = UInt32(truncatingIfNeeded: a)
    return y == 0 ? UInt64(x) : UInt64(x % y)
}

@inline(__always)
func sdiv32(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let x = Int32(truncatingIfNeeded: a)
    let y = Int32(truncatingIfNeeded: b)
    if y == 0 { return 0 }
    if y == -1 { return UInt64(UInt32(bitPattern: 0 &- x)) }
    return UInt64(UInt32(bitPattern: x / y))
}

@inline(__always)
func smod32(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let x = Int32(truncatingIfNeeded: a)
    let y = Int32(truncatingIfNeeded: b)
    if y == 0 { return UInt64(UInt32(bitPattern: x)) }
    if y == -1 { return 0 }
    return UInt64(UInt32(bitPattern: x % y))
}

/// Sign-extends a value the slow path loaded (zero-extended) for the `ldxs*` forms.
func signExtendLoad(_ op: Op, _ value: UInt64) -> UInt64 {
    switch op {
    case .ldxsb: UInt64(bitPattern: Int64(Int8(truncatingIfNeeded: value)))
    case .ldxsh: UInt64(bitPattern: Int64(Int16(truncatingIfNeeded: value)))
    case .ldxsw: UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: value)))
    default: value
    }
}
