/// Translates a linked program's decoded slots into x86-64 code with the interpreter's exact
/// semantics.
///
/// BPF r0-r9 live in x86 registers (`mapped`), r10 in the machine's register file; the others go
/// to the register file whenever control leaves the code (calls out, slow paths, the end of the
/// run), so any instruction boundary is a state the interpreter can take over from: whatever the
/// compiler does not translate (signed division, callx, traps) becomes a hand-over to the
/// interpreter at that instruction. Every memory access checks its address against the region table inline, as
/// `translate` does, and leaves for the machine's slow paths (rewritten context, faults) when the
/// check fails. The instruction budget is taken per basic block on entry; a block that would
/// overrun it hands over to the interpreter, which stops at the exact instruction.
///
/// Registers: r12 the `JITContext`; BPF r0-r9 in rbx, rsi, rdi, r8, r10, r11, r13, r14, r15,
/// rbp; rax, rcx, rdx and r9 scratch.
struct JITCompiler {
    typealias Reg = X86Assembler.Reg
    typealias Label = X86Assembler.Label

    /// Where BPF r0...r9 live (r10, read only, stays in the register file). Callee-saved x86
    /// registers hold r0 and r6-r9, which outlive calls in BPF too.
    static let mapped: [Reg] = [.rbx, .rsi, .rdi, .r8, .r10, .r11, .r13, .r14, .r15, .rbp]

    /// Out-of-line code, emitted after the program.
    private enum Stub {
        /// Give `addBack` instructions back, then let the interpreter go on at `pc`.
        case handOver(Label, pc: Int, addBack: Int)
        /// A load the inline check refused: the machine's slow path, then back to `resume`.
        case slowLoad(Label, resume: Label, pc: Int, op: Op, dst: UInt8, after: Int)
        /// A store the inline check refused (`value` from `src`, or the immediate).
        case slowStore(Label, resume: Label, pc: Int, size: Int, src: UInt8?, immediate: UInt64, after: Int)
    }

    private let code: UnsafePointer<DecodedInstruction>
    private let count: Int
    private let layout = JITLayout()
    private var asm: X86Assembler
    private var slotLabels: [Label] = []
    private var stubs: [Stub] = []
    private var epilogue: Label
    private var callStatus: Label

    /// The compiled bytes and, per slot, the offset of its code.
    struct Output {
        var bytes: [UInt8]
        var slotOffsets: [Int]
    }

    /// The most slots the compiler takes (larger programs stay interpreted).
    static let maxSlots = 200_000

    /// Compiles `count` slots (the program and its trailing trap slot); nil when the program is
    /// too large or refers outside itself (the decoder rules that out; the compiler checks again).
    static func compile(_ code: UnsafePointer<DecodedInstruction>, count: Int) -> Output? {
        guard count > 0, count <= maxSlots else { return nil }
        var compiler = JITCompiler(code: code, count: count)
        return compiler.run()
    }

    private init(code: UnsafePointer<DecodedInstruction>, count: Int) {
        self.code = code
        self.count = count
        asm = X86Assembler(capacity: count * 40 + 256)
        epilogue = asm.newLabel()
        callStatus = asm.newLabel()
        slotLabels = (0..<count).map { _ in asm.newLabel() }
    }

    // MARK: Blocks

    /// Whether control can leave the straight line after `op`.
    private static func endsBlock(_ op: Op) -> Bool {
        switch op {
        case .callHelper, .callKfunc, .callx, .callLocal, .exit, .trap, .mayGoto, .ja: true
        default: isConditionalJump(op)
        }
    }

    private static func isConditionalJump(_ op: Op) -> Bool {
        op.rawValue >= Op.jeq64K.rawValue && op.rawValue <= Op.jsle32X.rawValue
    }

    /// Instruction starts (the second slot of ld_imm64 is none), leaders, and for each start the
    /// instructions left in its block after it.
    private func blocks() -> (starts: [Int], leader: [Bool], after: [Int])? {
        var starts: [Int] = []
        var leader = [Bool](repeating: false, count: count)
        leader[0] = true
        var pc = 0
        while pc < count {
            starts.append(pc)
            let i = code[pc]
            let next = pc + (i.op == .lddw ? 2 : 1)
            if Self.endsBlock(i.op), next < count { leader[next] = true }
            if i.op == .ja || i.op == .mayGoto || i.op == .callLocal || Self.isConditionalJump(i.op) {
                let target = Int(i.offset)
                guard target >= 0, target < count else { return nil }
                leader[target] = true
            }
            pc = next
        }
        var after = [Int](repeating: 0, count: count)
        var run = 0
        for pc in starts.reversed() {
            after[pc] = run
            run = leader[pc] ? 0 : run + 1
        }
        // A jump into the second slot of ld_imm64 is not a start: refuse rather than guess.
        var isStart = [Bool](repeating: false, count: count)
        for s in starts { isStart[s] = true }
        for pc in 0..<count where leader[pc] && !isStart[pc] { return nil }
        return (starts, leader, after)
    }

    // MARK: Driver

    private mutating func run() -> Output? {
        guard let (starts, leader, after) = blocks() else { return nil }
        prologue()
        var isStart = [Bool](repeating: false, count: count)
        for pc in starts {
            isStart[pc] = true
            asm.bind(slotLabels[pc])
            if leader[pc] {
                // The block's length: this start and the starts after it in the block.
                let length = after[pc] + 1
                let short = asm.newLabel()
                asm.alu(.sub, .r12, layout.remaining, immediate: Int32(length))
                asm.jump(.less, short)
                stubs.append(.handOver(short, pc: pc, addBack: length))
            }
            emit(pc, after: after[pc])
        }
        // Slots that start no instruction (ld_imm64's second half) hand over, so every entry of
        // the native table is code.
        for pc in 0..<count where !isStart[pc] {
            stubs.append(.handOver(slotLabels[pc], pc: pc, addBack: 0))
        }
        emitStubs()
        guard asm.resolve() else { return nil }
        var offsets: [Int] = []
        offsets.reserveCapacity(count)
        for pc in 0..<count {
            guard let offset = asm.offset(of: slotLabels[pc]) else { return nil }
            offsets.append(offset)
        }
        return Output(bytes: asm.bytes, slotOffsets: offsets)
    }

    private mutating func prologue() {
        for r: Reg in [.rbx, .rbp, .r12, .r13, .r14, .r15] { asm.push(r) }
        asm.alu(.sub, .rsp, immediate: 8)  // 16-byte alignment at calls
        asm.move(.r12, .rdi)
        fill()
    }

    private mutating func emitStubs() {
        // Shared: a call's outcome (status + 1 in eax), then the epilogue, which puts the
        // registers back in the register file.
        asm.bind(callStatus)
        asm.alu(.sub, .rax, immediate: 1, w: false)
        asm.bind(epilogue)
        spill()
        asm.alu(.add, .rsp, immediate: 8)
        for r: Reg in [.r15, .r14, .r13, .r12, .rbp, .rbx] { asm.pop(r) }
        asm.ret()

        for stub in stubs {
            switch stub {
            case .handOver(let label, let pc, let addBack):
                asm.bind(label)
                handOver(pc: pc, addBack: addBack)
            case .slowLoad(let label, let resume, let pc, let op, let dst, let after):
                asm.bind(label)
                if op == .ldxw { packetField(dst: dst, resume: resume) }
                spill()
                asm.move(.rdi, .r12)
                asm.move(.rsi, .rax)
                asm.moveImmediate(.rdx, UInt64(op.rawValue))
                asm.moveImmediate(.rcx, UInt64(pc))
                asm.call(.r12, layout.slowLoad)
                returnFromSlowPath(to: resume, result: dst, after: after)
            case .slowStore(let label, let resume, let pc, let size, let src, let immediate, let after):
                asm.bind(label)
                spill()  // leaves the register file's address in rcx
                if let src { asm.load(.r9, .rcx, slot(src)) } else { asm.moveImmediate(.r9, immediate) }
                asm.move(.rdi, .r12)
                asm.move(.rsi, .rax)
                asm.moveImmediate(.rdx, UInt64(size))
                asm.move(.rcx, .r9)
                asm.moveImmediate(.r8, UInt64(pc))
                asm.call(.r12, layout.slowStore)
                returnFromSlowPath(to: resume, result: nil, after: after)
            }
        }
    }

    /// A 4-byte context load the check refused that names a packet pointer field of a rewritten
    /// context: the packet address, as `BPFMachine.slowLoad` serves it (data, then data_end,
    /// then data_meta), then back to `resume`; anything else falls through to the slow path.
    /// rax holds the address.
    private mutating func packetField(dst: UInt8, resume: Label) {
        let other = asm.newLabel(), data = asm.newLabel(), end = asm.newLabel(), tag = asm.newLabel()
        asm.move(.rdx, .rax)
        asm.shiftRight(.rdx, 32)
        asm.alu(.cmp, .rdx, immediate: Int32(MemoryMap.contextTag))
        asm.jump(.notEqual, other)
        asm.load(.rdx, .r12, layout.machineState)
        asm.test(.rdx, .rdx)
        asm.jump(.equal, other)
        asm.load(.rdx, .rdx, layout.statePacketWindow)
        asm.test(.rdx, .rdx)
        asm.jump(.equal, other)
        asm.move(.rcx, .rax, w: false)
        asm.alu(.cmp, .rcx, .r12, layout.fieldData)
        asm.jump(.equal, data)
        asm.alu(.cmp, .rcx, .r12, layout.fieldDataEnd)
        asm.jump(.equal, end)
        asm.alu(.cmp, .rcx, .r12, layout.fieldDataMeta)
        asm.jump(.notEqual, other)
        asm.load(.rcx, .rdx, layout.windowMetaStart)
        asm.jump(tag)
        asm.bind(data)
        asm.load(.rcx, .rdx, layout.windowDataStart)
        asm.jump(tag)
        asm.bind(end)
        asm.load(.rcx, .rdx, layout.windowDataEnd)
        asm.bind(tag)
        asm.moveImmediate(.rdx, UInt64(MemoryMap.packetTag) << 32)
        asm.alu(.or, .rcx, .rdx)
        asm.move(register(dst), .rcx)
        asm.jump(resume)
        asm.bind(other)
    }

    /// After a slow path's call: the registers back, then on to `resume` with the call's value
    /// in BPF register `result` (if any), or out with a fault when the call set `faulted`.
    private mutating func returnFromSlowPath(to resume: Label, result: UInt8?, after: Int) {
        fill()
        let failed = asm.newLabel()
        asm.alu(.cmp, .r12, layout.faulted, immediate: 0)
        asm.jump(.notEqual, failed)
        if let result { asm.move(register(result), .rax) }
        asm.jump(resume)
        asm.bind(failed)
        faultExit(after: after)
    }

    private mutating func handOver(pc: Int, addBack: Int) {
        if addBack > 0 { asm.alu(.add, .r12, layout.remaining, immediate: Int32(addBack)) }
        asm.storeImmediate(.r12, layout.resumePC, Int32(pc))
        asm.load(.rax, .r12, layout.code)
        asm.store(.r12, layout.resumeCode, .rax)
        returnStatus(.resume)
    }

    private mutating func faultExit(after: Int) {
        if after > 0 { asm.alu(.add, .r12, layout.remaining, immediate: Int32(after)) }
        returnStatus(.fault)
    }

    private mutating func returnStatus(_ status: JITStatus) {
        asm.moveImmediate(.rax, UInt64(status.rawValue))
        asm.jump(epilogue)
    }

    // MARK: Registers

    private func slot(_ n: UInt8) -> Int32 { Int32(n) * 8 }

    /// The x86 register of BPF register `n` (r0-r9).
    private func register(_ n: UInt8) -> Reg { Self.mapped[Int(n)] }

    /// The x86 register holding BPF register `n` for reading: its own, or for r10 `scratch`,
    /// loaded from the register file.
    private mutating func read(_ n: UInt8, into scratch: Reg) -> Reg {
        guard n == 10 else { return register(n) }
        loadR10(scratch)
        return scratch
    }

    private mutating func loadR10(_ x: Reg, w: Bool = true) {
        asm.load(x, .r12, layout.registers)
        asm.load(x, x, slot(10), w: w)
    }

    /// Stores r0-r9 into the register file (its address left in rcx; rax kept).
    private mutating func spill() {
        asm.load(.rcx, .r12, layout.registers)
        for n in 0..<10 { asm.store(.rcx, slot(UInt8(n)), Self.mapped[n]) }
    }

    /// Loads r0-r9 from the register file (rcx clobbered, rax kept).
    private mutating func fill() {
        asm.load(.rcx, .r12, layout.registers)
        for n in 0..<10 { asm.load(Self.mapped[n], .rcx, slot(UInt8(n))) }
    }

    private enum Arithmetic { case add, sub, and, or, xor, mul, lsh, rsh, arsh, div, mod }

    /// The two-operand ALU forms: operation, 64-bit, register source.
    private static func arithmetic(_ op: Op) -> (Arithmetic, Bool, Bool)? {
        switch op {
        case .add64K: (.add, true, false)
        case .add64X: (.add, true, true)
        case .sub64K: (.sub, true, false)
        case .sub64X: (.sub, true, true)
        case .mul64K: (.mul, true, false)
        case .mul64X: (.mul, true, true)
        case .div64K: (.div, true, false)
        case .div64X: (.div, true, true)
        case .or64K: (.or, true, false)
        case .or64X: (.or, true, true)
        case .and64K: (.and, true, false)
        case .and64X: (.and, true, true)
        case .lsh64K: (.lsh, true, false)
        case .lsh64X: (.lsh, true, true)
        case .rsh64K: (.rsh, true, false)
        case .rsh64X: (.rsh, true, true)
        case .mod64K: (.mod, true, false)
        case .mod64X: (.mod, true, true)
        case .xor64K: (.xor, true, false)
        case .xor64X: (.xor, true, true)
        case .arsh64K: (.arsh, true, false)
        case .arsh64X: (.arsh, true, true)
        case .add32K: (.add, false, false)
        case .add32X: (.add, false, true)
        case .sub32K: (.sub, false, false)
        case .sub32X: (.sub, false, true)
        case .mul32K: (.mul, false, false)
        case .mul32X: (.mul, false, true)
        case .div32K: (.div, false, false)
        case .div32X: (.div, false, true)
        case .or32K: (.or, false, false)
        case .or32X: (.or, false, true)
        case .and32K: (.and, false, false)
        case .and32X: (.and, false, true)
        case .lsh32K: (.lsh, false, false)
        case .lsh32X: (.lsh, false, true)
        case .rsh32K: (.rsh, false, false)
        case .rsh32X: (.rsh, false, true)
        case .mod32K: (.mod, false, false)
        case .mod32X: (.mod, false, true)
        case .xor32K: (.xor, false, false)
        case .xor32X: (.xor, false, true)
        case .arsh32K: (.arsh, false, false)
        case .arsh32X: (.arsh, false, true)
        default: nil
        }
    }

    /// Conditional jumps: condition, 64-bit, register source, `jset`.
    private static func comparison(_ op: Op) -> (X86Assembler.Condition, Bool, Bool, Bool)? {
        switch op {
        case .jeq64K: (.equal, true, false, false)
        case .jeq64X: (.equal, true, true, false)
        case .jgt64K: (.above, true, false, false)
        case .jgt64X: (.above, true, true, false)
        case .jge64K: (.aboveOrEqual, true, false, false)
        case .jge64X: (.aboveOrEqual, true, true, false)
        case .jset64K: (.notEqual, true, false, true)
        case .jset64X: (.notEqual, true, true, true)
        case .jne64K: (.notEqual, true, false, false)
        case .jne64X: (.notEqual, true, true, false)
        case .jsgt64K: (.greater, true, false, false)
        case .jsgt64X: (.greater, true, true, false)
        case .jsge64K: (.greaterOrEqual, true, false, false)
        case .jsge64X: (.greaterOrEqual, true, true, false)
        case .jlt64K: (.below, true, false, false)
        case .jlt64X: (.below, true, true, false)
        case .jle64K: (.belowOrEqual, true, false, false)
        case .jle64X: (.belowOrEqual, true, true, false)
        case .jslt64K: (.less, true, false, false)
        case .jslt64X: (.less, true, true, false)
        case .jsle64K: (.lessOrEqual, true, false, false)
        case .jsle64X: (.lessOrEqual, true, true, false)
        case .jeq32K: (.equal, false, false, false)
        case .jeq32X: (.equal, false, true, false)
        case .jgt32K: (.above, false, false, false)
        case .jgt32X: (.above, false, true, false)
        case .jge32K: (.aboveOrEqual, false, false, false)
        case .jge32X: (.aboveOrEqual, false, true, false)
        case .jset32K: (.notEqual, false, false, true)
        case .jset32X: (.notEqual, false, true, true)
        case .jne32K: (.notEqual, false, false, false)
        case .jne32X: (.notEqual, false, true, false)
        case .jsgt32K: (.greater, false, false, false)
        case .jsgt32X: (.greater, false, true, false)
        case .jsge32K: (.greaterOrEqual, false, false, false)
        case .jsge32X: (.greaterOrEqual, false, true, false)
        case .jlt32K: (.below, false, false, false)
        case .jlt32X: (.below, false, true, false)
        case .jle32K: (.belowOrEqual, false, false, false)
        case .jle32X: (.belowOrEqual, false, true, false)
        case .jslt32K: (.less, false, false, false)
        case .jslt32X: (.less, false, true, false)
        case .jsle32K: (.lessOrEqual, false, false, false)
        case .jsle32X: (.lessOrEqual, false, true, false)
        default: nil
        }
    }

    private mutating func emit(_ pc: Int, after: Int) {
        let i = code[pc]
        let s = i.src
        if let (kind, w, x) = Self.arithmetic(i.op) {
            arithmetic(kind, w: w, x: x, i)
            return
        }
        if let (condition, w, x, isSet) = Self.comparison(i.op) {
            let left = read(i.dst, into: .rax)
            if isSet {
                let right: Reg
                if x { right = read(s, into: .rcx) } else { asm.moveImmediate(.rcx, i.immediate); right = .rcx }
                asm.test(left, right, w: w)
            } else if x {
                asm.alu(.cmp, left, read(s, into: .rcx), w: w)
            } else if let k = w ? Int32(exactly: Int64(bitPattern: i.immediate)) : Int32(truncatingIfNeeded: i.immediate) {
                asm.alu(.cmp, left, immediate: k, w: w)
            } else {
                asm.moveImmediate(.rcx, i.immediate)
                asm.alu(.cmp, left, .rcx, w: w)
            }
            asm.jump(condition, slotLabels[Int(i.offset)])
            return
        }
        let d = register(min(i.dst, 9))  // every form below that writes dst has dst <= 9
        switch i.op {
        case .mov64K, .lddw:
            asm.moveImmediate(d, i.immediate)
        case .mov64X:
            if s == 10 { loadR10(d) } else if register(s) != d { asm.move(d, register(s)) }
        case .mov32K:
            asm.moveImmediate(d, UInt64(UInt32(truncatingIfNeeded: i.immediate)))
        case .mov32X:
            asm.move(d, read(s, into: .rcx), w: false)
        case .zext32:
            asm.move(d, d, w: false)
        case .neg64, .neg32:
            asm.unary(3, d, w: i.op == .neg64)
        case .movsx64b, .movsx64h, .movsx64w, .movsx32b, .movsx32h:
            let source = read(s, into: .rcx)
            switch i.op {
            case .movsx64b: asm.op([0x0F, 0xBE], w: true, reg: d.rawValue, rm: source, byteRM: true)
            case .movsx64h: asm.op([0x0F, 0xBF], w: true, reg: d.rawValue, rm: source)
            case .movsx64w: asm.op([0x63], w: true, reg: d.rawValue, rm: source)
            case .movsx32b: asm.op([0x0F, 0xBE], w: false, reg: d.rawValue, rm: source, byteRM: true)
            default: asm.op([0x0F, 0xBF], w: false, reg: d.rawValue, rm: source)
            }
        case .zext16:
            asm.op([0x0F, 0xB7], w: false, reg: d.rawValue, rm: d)
        case .nop:
            break
        case .bswap16:
            asm.shift(1, d, 8, w: false, operandSize16: true)  // ror r16, 8
            asm.op([0x0F, 0xB7], w: false, reg: d.rawValue, rm: d)
        case .bswap32:
            asm.byteSwap(d, w: false)
        case .bswap64:
            asm.byteSwap(d, w: true)
        case .ja:
            asm.jump(slotLabels[Int(i.offset)])
        case .ldxb, .ldxh, .ldxw, .ldxdw, .ldxsb, .ldxsh, .ldxsw:
            load(pc, i, after: after)
        case .stb, .sth, .stw, .stdw:
            store(pc, i, size: 1 << Int(i.op.rawValue - Op.stb.rawValue), src: nil, after: after)
        case .stxb, .stxh, .stxw, .stxdw:
            store(pc, i, size: 1 << Int(i.op.rawValue - Op.stxb.rawValue), src: s, after: after)
        case .atomicAdd32, .atomicOr32, .atomicAnd32, .atomicXor32, .atomicFetchAdd32, .atomicFetchOr32,
            .atomicFetchAnd32, .atomicFetchXor32, .xchg32, .cmpxchg32, .atomicAdd64, .atomicOr64, .atomicAnd64,
            .atomicXor64, .atomicFetchAdd64, .atomicFetchOr64, .atomicFetchAnd64, .atomicFetchXor64, .xchg64, .cmpxchg64:
            atomic(pc, i, after: after)
        case .callHelper, .callKfunc:
            // The helper reads r1-r5 and writes r0 in the register file.
            spill()
            asm.move(.rdi, .r12)
            asm.moveImmediate(.rsi, UInt64(pc))
            asm.call(.r12, layout.call)
            fill()
            asm.test(.rax, .rax, w: false)
            asm.jump(.notEqual, callStatus)
        case .callLocal:
            callLocal(pc, i, after: after)
        case .exit:
            exit()
        case .mayGoto:
            asm.load(.rax, .r12, layout.depth)
            asm.load(.rcx, .r12, layout.loopAllowance)
            asm.op([0x83], w: false, reg: 7, base: .rcx, index: .rax, scale: 4)  // cmp dword [rcx+rax*4], 0
            asm.emit(0)
            asm.jump(.equal, slotLabels[Int(i.offset)])
            asm.op([0x83], w: false, reg: 5, base: .rcx, index: .rax, scale: 4)  // sub dword [rcx+rax*4], 1
            asm.emit(1)
        default:
            // Signed division, callx, trap: the interpreter's.
            let label = asm.newLabel()
            asm.jump(label)
            stubs.append(.handOver(label, pc: pc, addBack: after + 1))
        }
    }

    private mutating func arithmetic(_ kind: Arithmetic, w: Bool, x: Bool, _ i: DecodedInstruction) {
        let d = register(i.dst)
        let small = w ? Int32(exactly: Int64(bitPattern: i.immediate)) : Int32(truncatingIfNeeded: i.immediate)
        /// The source operand in a register (rcx for an immediate or r10).
        func operand(_ compiler: inout JITCompiler) -> Reg {
            if x { return compiler.read(i.src, into: .rcx) }
            compiler.asm.moveImmediate(.rcx, i.immediate)
            return .rcx
        }
        switch kind {
        case .add, .sub, .and, .or, .xor:
            let alu: X86Assembler.ALU =
                switch kind {
                case .add: .add
                case .sub: .sub
                case .and: .and
                case .or: .or
                default: .xor
                }
            if !x, let small { asm.alu(alu, d, immediate: small, w: w) } else { asm.alu(alu, d, operand(&self), w: w) }
        case .mul:
            asm.imul(d, operand(&self), w: w)
        case .lsh, .rsh, .arsh:
            let digit: UInt8 = kind == .lsh ? 4 : kind == .rsh ? 5 : 7
            if x {
                let source = read(i.src, into: .rcx)
                if source != .rcx { asm.move(.rcx, source) }
                asm.shiftByCL(digit, d, w: w)
            } else {
                asm.shift(digit, d, UInt8(truncatingIfNeeded: i.immediate & (w ? 63 : 31)), w: w)
            }
        case .div, .mod:
            // x / 0 = 0; x % 0 = x (truncated to 32 bits for the 32-bit form)
            let source = operand(&self)
            if source != .rcx { asm.move(.rcx, source) }
            let zero = asm.newLabel(), done = asm.newLabel()
            asm.test(.rcx, .rcx, w: w)
            asm.jump(.equal, zero)
            asm.move(.rax, d)
            asm.moveImmediate(.rdx, 0)
            asm.unary(6, .rcx, w: w)
            asm.move(d, kind == .div ? .rax : .rdx, w: w)
            asm.jump(done)
            asm.bind(zero)
            if kind == .div { asm.moveImmediate(d, 0) } else if !w { asm.move(d, d, w: false) }
            asm.bind(done)
        }
    }

    /// rax = the address; on return rcx is the host pointer for `size` bytes (the check passed),
    /// else control went to `slow` with rax intact. Stores lower the stack watermark.
    private mutating func translate(size: Int, write: Bool, slow: Label) {
        asm.move(.rdx, .rax)
        asm.shiftRight(.rdx, 32)
        asm.load(.r9, .r12, layout.memory)
        asm.alu(.cmp, .rdx, .r9, layout.count)
        asm.jump(.aboveOrEqual, slow)
        asm.imul(.rdx, .rdx, immediate: layout.regionStride)
        asm.alu(.add, .rdx, .r9, layout.table)
        asm.move(.rcx, .rax, w: false)
        asm.alu(.sub, .rcx, .rdx, layout.regionStart, w: false)
        asm.lea(.r9, .rcx, Int32(size))
        asm.alu(.cmp, .r9, .rdx, write ? layout.regionWriteLimit : layout.regionReadLimit)
        asm.jump(.above, slow)
        if write {
            let skip = asm.newLabel()
            asm.move(.r9, .rax)
            asm.shiftRight(.r9, 32)
            asm.alu(.cmp, .r9, immediate: Int32(MemoryMap.stackTag))
            asm.jump(.notEqual, skip)
            asm.alu(.cmp, .rcx, .r12, layout.stackLow)
            asm.jump(.aboveOrEqual, skip)
            asm.store(.r12, layout.stackLow, .rcx)
            asm.bind(skip)
        }
        asm.alu(.add, .rcx, .rdx, layout.regionBase)
    }

    /// rax = `base + offset`.
    private mutating func address(_ base: UInt8, _ offset: Int32) {
        if base == 10 {
            loadR10(.rax)
            if offset != 0 { asm.alu(.add, .rax, immediate: offset) }
        } else {
            asm.lea(.rax, register(base), offset)
        }
    }

    /// Whether `[base + offset]` of `size` bytes is a slot of the current frame: r10 is read-only
    /// and always the top of a frame (stack offset 4096 - 512 * depth, depth < 8), so such an
    /// access is inside the stack whatever the depth, and needs no check.
    private static func isFrameSlot(_ base: UInt8, _ offset: Int32, _ size: Int) -> Bool {
        base == 10 && offset >= -Int32(BPFMachine.stackFrameSize) && offset <= -Int32(size)
    }

    /// rcx = the host address of the frame slot `r10 + offset` (see `isFrameSlot`); stores lower
    /// the stack watermark.
    private mutating func frameSlot(_ offset: Int32, write: Bool) {
        loadR10(.rax, w: false)  // r10's stack offset
        asm.lea(.rcx, .rax, offset)
        if write {
            let skip = asm.newLabel()
            asm.alu(.cmp, .rcx, .r12, layout.stackLow)
            asm.jump(.aboveOrEqual, skip)
            asm.store(.r12, layout.stackLow, .rcx)
            asm.bind(skip)
        }
        asm.alu(.add, .rcx, .r12, layout.stack)
    }

    /// rcx = the host pointer for `size` bytes at `base + offset`: a frame slot directly (true),
    /// else through the region check, which goes to `slow` with the address in rax (false).
    private mutating func hostPointer(_ base: UInt8, _ offset: Int32, size: Int, write: Bool, slow: Label) -> Bool {
        if Self.isFrameSlot(base, offset, size) {
            frameSlot(offset, write: write)
            return true
        }
        address(base, offset)
        translate(size: size, write: write, slow: slow)
        return false
    }

    private mutating func load(_ pc: Int, _ i: DecodedInstruction, after: Int) {
        let slow = asm.newLabel(), resume = asm.newLabel()
        let size: Int
        switch i.op {
        case .ldxb, .ldxsb: size = 1
        case .ldxh, .ldxsh: size = 2
        case .ldxw, .ldxsw: size = 4
        default: size = 8
        }
        let direct = hostPointer(i.src, i.offset, size: size, write: false, slow: slow)
        let d = register(i.dst).rawValue
        switch i.op {
        case .ldxb: asm.op([0x0F, 0xB6], w: false, reg: d, base: .rcx, disp: 0)
        case .ldxh: asm.op([0x0F, 0xB7], w: false, reg: d, base: .rcx, disp: 0)
        case .ldxw: asm.op([0x8B], w: false, reg: d, base: .rcx, disp: 0)
        case .ldxdw: asm.op([0x8B], w: true, reg: d, base: .rcx, disp: 0)
        case .ldxsb: asm.op([0x0F, 0xBE], w: true, reg: d, base: .rcx, disp: 0)
        case .ldxsh: asm.op([0x0F, 0xBF], w: true, reg: d, base: .rcx, disp: 0)
        default: asm.op([0x63], w: true, reg: d, base: .rcx, disp: 0)
        }
        if direct { return }
        asm.bind(resume)
        stubs.append(.slowLoad(slow, resume: resume, pc: pc, op: i.op, dst: i.dst, after: after))
    }

    private mutating func store(_ pc: Int, _ i: DecodedInstruction, size: Int, src: UInt8?, after: Int) {
        let slow = asm.newLabel(), resume = asm.newLabel()
        let direct = hostPointer(i.dst, i.offset, size: size, write: true, slow: slow)
        let value: Reg
        if let src, src != 10 {
            value = register(src)
        } else {
            if src == nil { asm.moveImmediate(.rax, i.immediate) } else { loadR10(.rax) }
            value = .rax
        }
        switch size {
        case 1: asm.op([0x88], w: false, reg: value.rawValue, base: .rcx, disp: 0, byteReg: true)
        case 2: asm.op([0x89], w: false, reg: value.rawValue, base: .rcx, disp: 0, operandSize16: true)
        case 4: asm.op([0x89], w: false, reg: value.rawValue, base: .rcx, disp: 0)
        default: asm.op([0x89], w: true, reg: value.rawValue, base: .rcx, disp: 0)
        }
        if direct { return }
        asm.bind(resume)
        stubs.append(.slowStore(slow, resume: resume, pc: pc, size: size, src: src, immediate: i.immediate, after: after))
    }

    /// The atomic read-modify-write forms (one thread: no lock prefix). An address the inline check
    /// refuses goes to the interpreter, which faults as it always does (no context rewriting).
    private mutating func atomic(_ pc: Int, _ i: DecodedInstruction, after: Int) {
        let raw = i.op.rawValue
        let w = raw >= Op.atomicAdd64.rawValue
        let kind = Int(raw - (w ? Op.atomicAdd64.rawValue : Op.atomicAdd32.rawValue))
        // kind: 0-3 add/or/and/xor, 4-7 their fetch forms (never into r10), 8 xchg, 9 cmpxchg.
        let refused = asm.newLabel()
        stubs.append(.handOver(refused, pc: pc, addBack: after + 1))
        address(i.dst, i.offset)
        translate(size: w ? 8 : 4, write: true, slow: refused)
        let alu: [X86Assembler.ALU] = [.add, .or, .and, .xor]
        let value = read(i.src, into: .rax)
        switch kind {
        case 0...3:
            asm.op([alu[kind].registerOpcode], w: w, reg: value.rawValue, base: .rcx, disp: 0)  // op [rcx], value
        case 4...7:
            asm.op([0x8B], w: w, reg: Reg.rdx.rawValue, base: .rcx, disp: 0)  // old
            asm.move(.rax, value)
            asm.alu(alu[kind - 4], .rax, .rdx, w: w)
            asm.op([0x89], w: w, reg: Reg.rax.rawValue, base: .rcx, disp: 0)
            asm.move(value, .rdx, w: w)
        case 8:
            asm.op([0x8B], w: w, reg: Reg.rdx.rawValue, base: .rcx, disp: 0)
            asm.op([0x89], w: w, reg: value.rawValue, base: .rcx, disp: 0)
            asm.move(value, .rdx, w: w)
        default:
            let differ = asm.newLabel()
            asm.op([0x8B], w: w, reg: Reg.rdx.rawValue, base: .rcx, disp: 0)
            asm.alu(.cmp, .rdx, register(0), w: w)
            asm.jump(.notEqual, differ)
            asm.op([0x89], w: w, reg: value.rawValue, base: .rcx, disp: 0)
            asm.bind(differ)
            asm.move(register(0), .rdx, w: w)
        }
    }

    private mutating func callLocal(_ pc: Int, _ i: DecodedInstruction, after: Int) {
        // Too deep: the interpreter reports it at this instruction.
        let deep = asm.newLabel()
        asm.load(.rax, .r12, layout.depth)
        asm.alu(.cmp, .rax, immediate: Int32(BPFMachine.maxFrames - 1))
        asm.jump(.greaterOrEqual, deep)
        stubs.append(.handOver(deep, pc: pc, addBack: after + 1))
        asm.imul(.rdx, .rax, immediate: layout.frameStride)
        asm.alu(.add, .rdx, .r12, layout.frames)
        asm.storeImmediate(.rdx, layout.frameReturnPC, Int32(pc + 1))
        asm.load(.rcx, .r12, layout.code)
        asm.store(.rdx, layout.frameCode, .rcx)
        for k in 0..<4 { asm.store(.rdx, layout.frameSaved[k], register(UInt8(6 + k))) }
        asm.load(.rcx, .r12, layout.registers)
        asm.load(.r9, .rcx, slot(10))
        asm.store(.rdx, layout.frameSaved[4], .r9)
        asm.alu(.sub, .rcx, slot(10), immediate: Int32(BPFMachine.stackFrameSize))
        asm.alu(.add, .rax, immediate: 1)
        asm.store(.r12, layout.depth, .rax)
        asm.load(.rcx, .r12, layout.loopAllowance)
        asm.op([0xC7], w: false, reg: 0, base: .rcx, index: .rax, scale: 4)  // mov dword [rcx+rax*4], imm32
        asm.emit32(Int32(bitPattern: BPFMachine.maxLoops))
        asm.jump(slotLabels[Int(i.offset)])
    }

    private mutating func exit() {
        let returns = asm.newLabel(), foreign = asm.newLabel()
        asm.load(.rax, .r12, layout.depth)
        asm.alu(.cmp, .rax, .r12, layout.base)
        asm.jump(.equal, returns)
        asm.alu(.sub, .rax, immediate: 1)
        asm.store(.r12, layout.depth, .rax)
        asm.imul(.rdx, .rax, immediate: layout.frameStride)
        asm.alu(.add, .rdx, .r12, layout.frames)
        for k in 0..<4 { asm.load(register(UInt8(6 + k)), .rdx, layout.frameSaved[k]) }
        asm.load(.r9, .rdx, layout.frameSaved[4])
        asm.load(.rcx, .r12, layout.registers)
        asm.store(.rcx, slot(10), .r9)
        asm.load(.rcx, .rdx, layout.frameCode)
        asm.alu(.cmp, .rcx, .r12, layout.code)
        asm.jump(.notEqual, foreign)
        asm.load(.rax, .rdx, layout.frameReturnPC)
        asm.load(.rcx, .r12, layout.nativeTable)
        asm.op([0x8B], w: true, reg: 0, base: .rcx, index: .rax, scale: 8)  // mov rax, [rcx+rax*8]
        asm.jump(register: .rax)
        // A frame of another program's code: the interpreter returns into it.
        asm.bind(foreign)
        asm.store(.r12, layout.resumeCode, .rcx)
        asm.load(.rax, .rdx, layout.frameReturnPC)
        asm.store(.r12, layout.resumePC, .rax)
        returnStatus(.resume)
        asm.bind(returns)
        returnStatus(.exit)
    }
}
