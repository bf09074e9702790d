import BPFObject

/// What an accepted program's exploration proved, gathered for the VM (`VerifiedProgram`).
extension Verifier {
    /// The first slot of the function frame `frame` runs.
    func subprogramStart(of frame: FrameState) -> Int {
        frame.callSite < 0 ? 0 : frame.callSite + 1 + Int(instructions[frame.callSite].immediate)
    }

    /// Notes how deep each frame of `state` has grown its stack (`grow_stack_state` keeps the
    /// subprogram's `stack_depth` at its largest allocated stack, a multiple of 8).
    func recordStackDepths(_ state: VerifierState) {
        for frame in state.frames {
            let start = subprogramStart(of: frame)
            let depth = frame.stack.count * 8
            if depth > stackDepths[start, default: 0] { stackDepths[start] = depth }
        }
    }

    /// The program decoded for the VM, with the facts the exploration established; or the reason
    /// the VM cannot run it.
    func verifiedProgram() -> Result<VerifiedProgram, DecodingError> {
        let decoded: DecodedProgram
        do throws(DecodingError) {
            decoded = try ProgramDecoder.decode(instructions, kfuncNames: kfuncNames())
        } catch {
            return .failure(error)
        }
        let count = instructions.count
        let starts = subprogramStarts.filter { $0 >= 0 && $0 < count }.sorted()
        var subprograms: [VerifiedProgram.Subprogram] = []
        var reachable = reached
        for (n, start) in starts.enumerated() {
            let end = n + 1 < starts.count ? starts[n + 1] : count
            // A function the exploration never entered (a callback of a helper the verifier does
            // not follow) is not proven dead: it counts as reachable.
            if !reached[start..<end].contains(true) {
                for i in start..<end { reachable[i] = true }
            }
            subprograms.append(VerifiedProgram.Subprogram(start: start, end: end, stackDepth: stackDepths[start] ?? 0))
        }
        var i = 0
        while i < count {
            if instructions[i].isWideLoad, i + 1 < count {
                reachable[i + 1] = reachable[i]
                i += 2
            } else {
                i += 1
            }
        }
        let combined = combinedStackDepth(subprograms)
        // After the depth check the kernel gives a subprogram with may_goto 16 more bytes (x86-64's
        // timed may_goto: a count and a timestamp), which its `stack depth` line shows.
        for n in subprograms.indices
        where instructions[subprograms[n].start..<subprograms[n].end].contains(where: { $0.opcode == Opcode.mayGoto }) {
            subprograms[n].stackDepth += 16
        }
        return .success(
            VerifiedProgram(
                name: program.name, type: program.type, decoded: decoded, reachable: reachable, subprograms: subprograms,
                maxCombinedStackDepth: combined))
    }

    func kfuncNames() -> [Int: String] {
        var names: [Int: String] = [:]
        for call in program.kfuncCalls { names[call.instruction] = call.name }
        return names
    }

    /// `check_max_stack_depth`: the deepest chain of bpf-to-bpf calls from the main program, each
    /// frame rounded up to 32 bytes (at least 1 byte).
    func combinedStackDepth(_ subprograms: [VerifiedProgram.Subprogram]) -> Int {
        func index(of slot: Int) -> Int? { subprograms.lastIndex { $0.start <= slot } }
        func deepest(_ n: Int, depth: Int) -> Int {
            let s = subprograms[n]
            let own = (max(s.stackDepth, 1) + 31) / 32 * 32
            guard depth < Self.maxCallFrames else { return own }
            var callees = 0
            for i in s.start..<s.end where reached[i] {
                let insn = instructions[i]
                guard insn.opcode == Opcode.call, insn.source == Opcode.pseudoCall, let callee = index(of: i + 1 + Int(insn.immediate))
                else { continue }
                callees = max(callees, deepest(callee, depth: depth + 1))
            }
            return own + callees
        }
        return subprograms.isEmpty ? 0 : deepest(0, depth: 1)
    }
}
