import BPFObject
import Kfuncs

/// How to verify.
public struct VerifierOptions: Sendable {
    /// 0: no log, 1: the failing path and the error, 2: every instruction with its state.
    public var logLevel: Int
    /// `BPF_COMPLEXITY_LIMIT_INSNS`.
    public var instructionLimit: Int

    public init(logLevel: Int = 1, instructionLimit: Int = 1_000_000) {
        self.logLevel = logLevel
        self.instructionLimit = instructionLimit
    }
}

/// The entry point: the kernel verifier's verdict on one loaded program.
public enum BPFVerifier {
    /// Verifies `program` as the kernel would for a privileged (root) loader.
    /// - Parameters:
    ///   - program: the relocated program (`BPFObjectFile.load`).
    ///   - kfuncs: the kfunc sets the simulated kernel offers (e.g. `ConntrackKfuncSet.registry()`).
    ///   - options: log level and instruction limit.
    public static func verify(
        program: LoadedProgram, kfuncs: KfuncRegistry = KfuncRegistry(), options: VerifierOptions = VerifierOptions()
    ) -> VerifierVerdict {
        let verifier = Verifier(program: program, kfuncs: kfuncs, options: options)
        return verifier.run()
    }
}

/// One verification run: the program, the exploration stack, the visited states, the log.
final class Verifier {
    let program: LoadedProgram
    let instructions: [Instruction]
    let options: VerifierOptions
    let kfuncs: KfuncRegistry
    let disassembler: Disassembler
    var log: [String] = []

    // exploration
    struct Pending {
        var pc: Int
        var state: VerifierState
        var lastEntry: Int
        var logMark: Int
        var from: Int
        /// The branch instruction's log line (its index and its text without a state).
        var branchLine = -1
        var branchText = ""
    }
    struct Visited {
        var state: VerifierState
        var pc = -1
        var parent: Int
        var branches: Int
        var hits = 0
        var misses = 0
    }
    var pending: [Pending] = []
    var visited: [Visited] = []
    var visitedAt: [Int: [Int]] = [:]
    var prunePoints: Set<Int> = []
    var processed = 0
    var peakStates = 0
    var maxStatesPerInstruction = 0
    var idGenerator: UInt32 = 0
    /// The current path's last visited entry (-1: none).
    var lastEntry = -1
    var subprogramStarts: Set<Int> = [0]
    /// The line_info record whose source line the log printed last.
    var lastLineRecord: Int?
    /// Per slot: processed on some explored path.
    var reached: [Bool]
    /// Per subprogram start: its deepest stack, in bytes.
    var stackDepths: [Int: Int] = [:]

    init(program: LoadedProgram, kfuncs: KfuncRegistry, options: VerifierOptions) {
        self.program = program
        self.kfuncs = kfuncs
        self.instructions = program.instructions
        self.options = options
        self.disassembler = Disassembler(program: program)
        self.reached = Array(repeating: false, count: program.instructions.count)
    }

    func nextID() -> UInt32 {
        idGenerator += 1
        return idGenerator
    }

    func run() -> VerifierVerdict {
        var error: String?
        do throws(VerificationFailure) {
            try checkControlFlow()
            try explore()
        } catch let failure {
            log.append(contentsOf: failure.lines)
            error = failure.lines.last
        }
        log.append(
            "processed \(processed) insns (limit \(options.instructionLimit)) max_states_per_insn \(maxStatesPerInstruction) "
                + "total_states \(visited.count) peak_states \(peakStates) mark_read 0")
        let text = options.logLevel == 0 ? "" : log.joined(separator: "\n") + "\n"
        var verdict = VerifierVerdict(accepted: error == nil, error: error, processedInstructions: processed, log: text)
        if verdict.accepted {
            switch verifiedProgram() {
            case .success(let program): verdict.program = program
            case .failure(let failure): verdict.decodingError = failure
            }
        }
        return verdict
    }

    // MARK: Control flow (`check_cfg`)

    func checkControlFlow() throws(VerificationFailure) {
        let count = instructions.count
        guard count > 0 else { throw VerificationFailure("last insn is not an exit or jmp") }
        var reachable = Array(repeating: false, count: count)
        var work = [0]
        // subprogram starts (`add_subprog_and_kfunc`)
        for (i, insn) in instructions.enumerated()
        where (insn.opcode == Opcode.call && insn.source == Opcode.pseudoCall) || (insn.isWideLoad && insn.source == Opcode.pseudoFunc) {
            let target = i + 1 + Int(insn.immediate)
            if target < 0 || target >= count { throw VerificationFailure("call to invalid destination") }
            subprogramStarts.insert(target)
        }
        try checkSubprograms()
        try checkEncodings()
        while let i = work.popLast() {
            if reachable[i] { continue }
            reachable[i] = true
            let insn = instructions[i]
            var next: [Int] = []
            let cls = insn.instructionClass
            if insn.isWideLoad {
                if i + 1 >= count { throw VerificationFailure("invalid BPF_LD_IMM insn") }
                next = [i + 2]
                if insn.source == Opcode.pseudoFunc { next.append(i + 1 + Int(insn.immediate)) }
            } else if cls == Opcode.classJMP || cls == Opcode.classJMP32 {
                let op = insn.opcode & 0xF0
                if insn.opcode == Opcode.exit {
                    next = []
                } else if op == Opcode.jmpCall {
                    next = [i + 1]
                    if insn.source == Opcode.pseudoCall {
                        prunePoints.insert(i + 1)
                        next.append(i + 1 + Int(insn.immediate))  // subprograms are reached through their calls
                    }
                } else if op == Opcode.jmpJA {
                    let target = i + 1 + (insn.opcode == Opcode.ja32 ? Int(insn.immediate) : Int(insn.offset))
                    if target < 0 || target >= count { throw VerificationFailure("jump out of range from insn \(i) to \(target)") }
                    next = [target]
                    prunePoints.insert(target)
                } else {
                    let target = i + 1 + Int(insn.offset)
                    if target < 0 || target >= count { throw VerificationFailure("jump out of range from insn \(i) to \(target)") }
                    if insn.opcode == Opcode.mayGoto { prunePoints.insert(i) }  // a forced checkpoint
                    next = [i + 1, target]
                    prunePoints.insert(target)
                    prunePoints.insert(i + 1)
                }
            } else {
                next = [i + 1]
            }
            for n in next {
                if n >= count { throw VerificationFailure("jump out of range from insn \(i) to \(n)") }
                if !reachable[n] { work.append(n) }
            }
        }
        var i = 0
        while i < count {
            if !reachable[i] { throw VerificationFailure("unreachable insn \(i)") }
            if instructions[i].isWideLoad {
                if reachable[i + 1] { throw VerificationFailure("jump into the middle of ldimm64 insn \(i)") }
                reachable[i + 1] = true
            }
            i += instructions[i].isWideLoad ? 2 : 1
        }
    }

    /// `check_subprogs`: every jump stays inside its subprogram and every subprogram ends in an
    /// exit or an unconditional jump (no falling into the next one).
    func checkSubprograms() throws(VerificationFailure) {
        let count = instructions.count
        let starts = subprogramStarts.sorted()
        for (n, start) in starts.enumerated() {
            let end = n + 1 < starts.count ? starts[n + 1] : count
            for i in start..<end {
                let insn = instructions[i]
                let cls = insn.instructionClass
                guard cls == Opcode.classJMP || cls == Opcode.classJMP32 else { continue }
                let op = insn.opcode & 0xF0
                if op != Opcode.jmpExit && op != Opcode.jmpCall {
                    // the kernel's int arithmetic: a far `gotol` wraps
                    let target = Int(Int32(truncatingIfNeeded: i + 1 + (insn.opcode == Opcode.ja32 ? Int(insn.immediate) : Int(insn.offset))))
                    if target < start || target >= end { throw VerificationFailure("jump out of range from insn \(i) to \(target)") }
                }
            }
            let last = instructions[end - 1]
            if last.opcode != Opcode.exit && last.opcode != Opcode.ja && last.opcode != Opcode.ja32 {
                throw VerificationFailure("last insn is not an exit or jmp")
            }
        }
    }

    // MARK: Exploration (`do_check` with `is_state_visited`)

    func initialState() -> VerifierState {
        var state = VerifierState()
        var ctx = RegisterState(kind: .context)
        ctx.value = .constant(0)
        state[register: 1] = ctx
        return state
    }

    func explore() throws(VerificationFailure) {
        var state = initialState()
        var pc = 0
        if options.logLevel >= 2 { log.append("func#0 @0") }
        logInitialState(state)
        while true {
            // one path
            var pathDone = false
            while !pathDone {
                if prunePoints.contains(pc) {
                    if try isVisited(pc: pc, state: state) {
                        if options.logLevel >= 2 { log.append("\(pc): safe") }
                        recordStackDepths(state)
                        pathDone = true
                        break
                    }
                }
                processed += 1
                reached[pc] = true
                if processed > options.instructionLimit {
                    throw VerificationFailure("BPF program is too large. Processed \(processed) insn")
                }
                logInstruction(pc)
                let slot = options.logLevel >= 1 ? stackSlotTouched(pc: pc, state: state) : nil
                let lineText = options.logLevel >= 1 ? log[log.count - 1] : ""
                let at = pc
                let outcome = try step(pc: pc, state: &state)
                switch outcome {
                case .next(let n):
                    logAfter(pc: pc, state: state, slot: slot)
                    pc = n
                case .branch(let fall, let target, let targetPC):
                    if let target, let fall {
                        if lastEntry >= 0 { visited[lastEntry].branches += 1 }
                        pending.append(
                            Pending(
                                pc: targetPC, state: target, lastEntry: lastEntry, logMark: log.count, from: pc,
                                branchLine: options.logLevel >= 1 ? log.count - 1 : -1, branchText: lineText))
                        peakStates = max(peakStates, visited.count)
                        state = fall
                        pc = pc + 1
                    } else if let fall {
                        state = fall
                        pc = pc + 1
                    } else if let target {
                        state = target
                        pc = targetPC
                    }
                    logAfter(pc: at, state: state, slot: nil)
                case .mayGoto(let queued, let jumpTo):
                    if lastEntry >= 0 { visited[lastEntry].branches += 1 }
                    pending.append(
                        Pending(
                            pc: pc + 1, state: queued, lastEntry: lastEntry, logMark: log.count, from: pc,
                            branchLine: options.logLevel >= 1 ? log.count - 1 : -1, branchText: lineText))
                    peakStates = max(peakStates, visited.count)
                    logAfter(pc: at, state: state, slot: nil)
                    pc = jumpTo
                case .exit:
                    recordStackDepths(state)
                    pathDone = true
                }
            }
            endPath()
            guard let next = pending.popLast() else { return }
            if options.logLevel == 1 {
                log.removeSubrange(next.logMark...)
                if next.branchLine >= 0, next.branchLine < log.count {
                    log[next.branchLine] = annotate(next.branchText, pc: next.from, state: next.state, slot: nil)
                }
            }
            state = next.state
            pc = next.pc
            lastEntry = next.lastEntry
            if options.logLevel >= 2 {
                log.append("from \(next.from) to \(pc): " + describe(state))
            }
        }
    }

    func endPath() {
        var e = lastEntry
        while e >= 0 {
            visited[e].branches -= 1
            if visited[e].branches > 0 { break }
            e = visited[e].parent
        }
    }

    func isVisited(pc: Int, state: VerifierState) throws(VerificationFailure) -> Bool {
        var list = visitedAt[pc] ?? []
        var evicted = false
        var position = 0
        while position < list.count {
            let index = list[position]
            let old = visited[index]
            if old.branches > 0 {
                // A loop through may_goto converges once an earlier iteration's state covers this
                // one (the depths differ, so it is not an infinite loop).
                if instructions[pc].opcode == Opcode.mayGoto, old.state.mayGotoDepth != state.mayGotoDepth,
                    StatePruning.subsumes(old.state, state)
                {
                    visited[index].hits += 1
                    if evicted { visitedAt[pc] = list }
                    return true
                }
                if old.state == state {
                    throw VerificationFailure(
                        "infinite loop detected at insn \(pc)", "cur state: " + describe(state), "old state: " + describe(old.state))
                }
            } else if StatePruning.subsumes(old.state, state) {
                visited[index].hits += 1
                if evicted { visitedAt[pc] = list }
                return true
            }
            visited[index].misses += 1
            // As the kernel does, forget states that keep failing to prune.
            if visited[index].misses > visited[index].hits * 3 + 3 {
                list.remove(at: position)
                evicted = true
                continue
            }
            position += 1
        }
        if evicted { visitedAt[pc] = list }
        visited.append(Visited(state: state, pc: pc, parent: lastEntry, branches: 1))
        lastEntry = visited.count - 1
        visitedAt[pc, default: []].append(lastEntry)
        maxStatesPerInstruction = max(maxStatesPerInstruction, list.count + 1)
        peakStates = max(peakStates, visited.count)
        return false
    }

    enum Outcome {
        case next(Int)
        /// The fall-through state and the jump target's state (nil: that side is impossible).
        case branch(VerifierState?, VerifierState?, Int)
        /// may_goto: this path jumps to the target; the fall-through is explored later.
        case mayGoto(queued: VerifierState, jumpTo: Int)
        case exit
    }
}
