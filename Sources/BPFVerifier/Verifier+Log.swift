import BPFObject

/// The log in the kernel's format (6.18): at level 1 the path to the error, each instruction as
/// `N: (op) text`, preceded by its `; source @ file:line` when line_info starts a new line there,
/// followed (aligned as `vlog_alignment` does) by `; ` and the registers and stack slots the
/// instruction touched (`print_verifier_state` of the scratched state); the first line is the
/// entry state `0: R1=ctx() R10=fp0`. Level 2 also keeps the explored paths.
extension Verifier {
    func logInitialState(_ state: VerifierState) {
        guard options.logLevel >= 1 else { return }
        log.append("0:" + describeRegisters(state, only: nil) + references(state))
    }

    func logInstruction(_ pc: Int) {
        guard options.logLevel >= 1 else { return }
        if let record = lineRecord(at: pc), record != lastLineRecord {
            let l = program.lineInfo[record]
            let previous = lastLineRecord.map { program.lineInfo[$0] }
            lastLineRecord = record
            // Records of the same source line (clang emits one per column) print once.
            if let previous, previous.line == l.line, previous.lineNumber == l.lineNumber, previous.fileName == l.fileName {
                log.append("\(pc): " + disassembler.text(instructions[pc], at: pc, next: pc + 1 < instructions.count ? instructions[pc + 1] : nil))
                return
            }
            let file = l.fileName.split(separator: "/").last.map(String.init) ?? l.fileName
            log.append("; \(l.line.drop { $0 == " " || $0 == "\t" }) @ \(file):\(l.lineNumber)")
        }
        let next = pc + 1 < instructions.count ? instructions[pc + 1] : nil
        log.append("\(pc): " + disassembler.text(instructions[pc], at: pc, next: next))
    }

    /// `find_linfo`: the line_info record covering `pc` (the last one starting at or before it).
    func lineRecord(at pc: Int) -> Int? {
        let records = program.lineInfo
        guard !records.isEmpty else { return nil }
        var lo = 0, hi = records.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if records[mid].instruction <= pc { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : lo - 1
    }

    /// Appends the state `pc` left to its line (the last of the log).
    func logAfter(pc: Int, state: VerifierState, slot: Int?) {
        guard options.logLevel >= 1, !log.isEmpty, log[log.count - 1].hasPrefix("\(pc): ") else { return }
        log[log.count - 1] = annotate(log[log.count - 1], pc: pc, state: state, slot: slot)
    }

    /// `line` with the registers (and stack slot) instruction `pc` touched in `state`, aligned as
    /// the kernel aligns them; unchanged when it touched nothing printable.
    func annotate(_ line: String, pc: Int, state: VerifierState, slot: Int?) -> String {
        let registers = scratchedRegisters(pc)
        var text = describeRegisters(state, only: registers)
        if let slot, let slotText = describeSlot(state, slot) {
            if text.isEmpty, state.frames.count > 1 { text = " frame\(state.frames.count - 1):" }
            text += slotText
        }
        guard !text.isEmpty else { return line }
        text += references(state)
        // vlog_alignment: the ';' lands at round_up(max(len + 1 + 4, 40), 8) - 2.
        let column = (max(line.count + 5, 40) + 7) / 8 * 8 - 2
        return line + String(repeating: " ", count: max(column - line.count, 1)) + ";" + text
    }

    /// The registers an instruction reads or writes (`check_reg_arg` marks them scratched).
    func scratchedRegisters(_ pc: Int) -> [Int] {
        let insn = instructions[pc]
        let d = Int(insn.destination), s = Int(insn.source)
        let useX = insn.opcode & Opcode.sourceX != 0
        switch insn.instructionClass {
        case Opcode.classALU, Opcode.classALU64:
            let op = insn.opcode & 0xF0
            if op == Opcode.aluNeg || op == Opcode.aluEnd { return [d] }
            return useX ? [d, s] : [d]
        case Opcode.classLDX, Opcode.classSTX:
            if insn.instructionClass == Opcode.classSTX, insn.opcode & 0xE0 == Opcode.modeATOMIC, insn.immediate == Opcode.atomicCmpxchg {
                return [0, d, s]
            }
            return [d, s]
        case Opcode.classST:
            return [d]
        case Opcode.classLD:
            return [d]
        default:
            if insn.opcode == Opcode.exit { return [] }
            if insn.opcode & 0xF0 == Opcode.jmpCall { return insn.source == Opcode.pseudoCall ? [] : [0] }
            if insn.opcode & 0xF0 == Opcode.jmpJA { return [] }
            return useX ? [d, s] : [d]
        }
    }

    /// The stack slot (index from fp-8) a load, store or atomic at `pc` touches at a constant
    /// offset in the current frame, from the state before it runs.
    func stackSlotTouched(pc: Int, state: VerifierState) -> Int? {
        let insn = instructions[pc]
        let base: Int
        switch insn.instructionClass {
        case Opcode.classLDX: base = Int(insn.source)
        case Opcode.classSTX, Opcode.classST: base = Int(insn.destination)
        default: return nil
        }
        guard base <= 10 else { return nil }
        let reg = state[register: base]
        guard reg.kind == .stack, reg.value.isConstant, reg.frame == state.frames.count - 1 else { return nil }
        let offset = Int(Int64(bitPattern: reg.value.bits.value)) + Int(reg.offset) + Int(insn.offset)
        guard offset < 0, offset >= -512 else { return nil }
        return (-offset - 1) / 8
    }

    /// `check_func_call`'s log: both frames in full, then the callee's state at its first slot.
    func logCall(_ state: VerifierState, target: Int) {
        var caller = state
        caller.frames.removeLast()
        log.append("caller:")
        log.append(describeRegisters(caller, only: nil) + describeSlots(caller) + references(caller))
        log.append("callee:")
        let callee = describeRegisters(state, only: nil) + describeSlots(state) + references(state)
        log.append(callee)
        log.append("\(target):" + callee)
    }

    /// ` R0=... R1=...` for the initialised registers of the current frame among `only` (all when
    /// nil), after ` frameN:` in a called function.
    func describeRegisters(_ state: VerifierState, only: [Int]?) -> String {
        let frame = state.current
        let number = state.frames.count - 1
        var text = number > 0 ? " frame\(number):" : ""
        var any = false
        for r in 0...10 where only?.contains(r) ?? true {
            let reg = frame.registers[r]
            guard reg.kind != .notInitialized else { continue }
            any = true
            if reg.kind == .stack, reg.frame != number {
                text += " R\(r)=fp[\(reg.frame)]\(reg.offset == 0 ? "" : "\(reg.offset)")"
            } else {
                text += " R\(r)=" + reg.describe(maps: program.maps)
            }
        }
        return any || only == nil ? text : ""
    }

    /// Every non-empty stack slot of the current frame.
    func describeSlots(_ state: VerifierState) -> String {
        state.current.stack.indices.map { describeSlot(state, $0) ?? "" }.joined()
    }

    /// ` fp-N=...` for slot `index` of the current frame, as the kernel prints a stack slot.
    func describeSlot(_ state: VerifierState, _ index: Int) -> String? {
        let frame = state.current
        guard index < frame.stack.count else { return nil }
        let slot = frame.stack[index]
        guard !slot.isEmpty else { return nil }
        let name = " fp\(-(index + 1) * 8)="
        func mark(_ b: StackByte) -> String {
            switch b {
            case .invalid: "?"
            case .misc: "m"
            case .zero: "0"
            case .spill: "r"
            }
        }
        if slot.isSpill {
            let prefix = slot.bytes[slot.spillSize...].reversed().map(mark).joined()
            return name + prefix + slot.spilled.describe(maps: program.maps)
        }
        return name + slot.bytes.reversed().map(mark).joined()
    }

    func references(_ state: VerifierState) -> String {
        state.references.isEmpty ? "" : " refs=" + state.references.map { "\($0.id)" }.joined(separator: ",")
    }

    /// The whole state (level 2's `from N to M:` lines).
    func describe(_ state: VerifierState) -> String {
        String((describeRegisters(state, only: nil) + describeSlots(state) + references(state)).dropFirst())
    }
}
