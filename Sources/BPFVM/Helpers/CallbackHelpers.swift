/// Helpers that call back into the program: `bpf_loop` and `bpf_for_each_map_elem`. The callback
/// is a BPF_PSEUDO_FUNC address (`ld_imm64` src 4) of a subprogram of the running program; it
/// runs as one more bpf-to-bpf frame below the caller's, with its own 512 bytes of stack, and its
/// instructions count against the run's budget.
///
/// Return values follow the kernel (`kernel/bpf/bpf_iter.c`, `arraymap.c`, `hashtab.c`): a
/// non-zero callback result stops the iteration (the verifier only admits 0 and 1).
enum CallbackHelpers {
    /// `BPF_MAX_LOOPS`.
    static let maxLoops: UInt32 = 1 << 23

    /// bpf_loop(nr_loops, callback_fn, callback_ctx, flags): flags other than 0 give -EINVAL,
    /// more than 1 << 23 loops -E2BIG; otherwise `callback(i, ctx)` for i = 0..<nr_loops until
    /// one returns non-zero. Returns the number of callbacks made.
    static func loop(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        guard call.r4 == 0 else { return StandardHelpers.errno(Errno.EINVAL) }
        let count = UInt32(truncatingIfNeeded: call.r1)
        guard count <= maxLoops else { return StandardHelpers.errno(Errno.E2BIG) }
        var i: UInt32 = 0
        while i < count {
            let result = try call.machine.runCallback(call.r2, call, UInt64(i), call.r3, 0, 0, 0)
            i += 1
            if result != 0 { break }
        }
        return .value(UInt64(i))
    }

    /// bpf_for_each_map_elem(map, callback_fn, callback_ctx, flags): flags other than 0 give
    /// -EINVAL; otherwise `callback(map, &key, &value, ctx)` for every element (array: every
    /// index; hash: every element present; per-CPU maps: this CPU's value) until one returns
    /// non-zero. Returns the number of elements visited, the stopping one included. The key is
    /// a read-only copy.
    static func forEachMapElement(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let map = try StandardHelpers.map(call.r1, call)
        guard map is ArrayMap || map is HashMap else {
            throw call.fault("bpf_for_each_map_elem is not supported on a \(map.definition.type) map")
        }
        guard call.r4 == 0 else { return StandardHelpers.errno(Errno.EINVAL) }
        let machine = call.machine
        let keySize = map.definition.keySize
        let keyBuffer = UnsafeMutableRawPointer.allocate(byteCount: keySize, alignment: 8)
        let keyTag = machine.memory.add(
            kind: .buffer, base: keyBuffer, length: keySize, writable: false, owner: map.index, name: "for_each key")
        defer {
            machine.memory.release(tag: keyTag)
            keyBuffer.deallocate()
        }
        let keyAddress = machine.memory.address(tag: keyTag, offset: 0)
        var visited: UInt64 = 0
        try map.forEach { (key, value) throws(VMError) -> Bool in
            keyBuffer.copyMemory(from: key, byteCount: keySize)
            visited += 1
            return try machine.runCallback(call.r2, call, call.r1, keyAddress, value, call.r3, 0) == 0
        }
        return .value(visited)
    }
}

extension BPFMachine {
    /// Runs the subprogram at `function` (a BPF_PSEUDO_FUNC value) of the program that made
    /// `call`, with r1-r5 as given, one frame deeper than the caller; returns its r0. The
    /// caller's registers are restored afterwards.
    func runCallback(
        _ function: UInt64, _ call: HelperCall, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64, _ a4: UInt64, _ a5: UInt64
    ) throws(VMError) -> UInt64 {
        guard function >> 32 == ProgramDecoder.functionTag >> 32, let code = callCode,
            let program = programs.first(where: { $0.code == code })
        else {
            throw call.fault("the callback argument is not a subprogram address (ld_imm64 BPF_PSEUDO_FUNC)")
        }
        let target = Int(UInt32(truncatingIfNeeded: function))
        guard target < program.slotCount else {
            throw call.fault("the callback address \(target) is outside the program (\(program.slotCount) instructions)")
        }
        let depth = call.frame + 1
        guard depth < BPFMachine.maxFrames else {
            throw VMError(.callDepth, at: call.instruction, "a callback nests deeper than \(BPFMachine.maxFrames) frames")
        }
        var saved: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (
            registers[0], registers[1], registers[2], registers[3], registers[4], registers[5], registers[6],
            registers[7], registers[8], registers[9], registers[10]
        )
        defer {
            withUnsafeBytes(of: &saved) { bytes in
                for i in 0...10 { registers[i] = bytes.load(fromByteOffset: i * 8, as: UInt64.self) }
            }
        }
        registers[1] = a1
        registers[2] = a2
        registers[3] = a3
        registers[4] = a4
        registers[5] = a5
        registers[10] = saved.10 &- UInt64(BPFMachine.stackFrameSize)
        guard let result = interpret(code, pc: target, depth: depth, budget: &callBudget) else { try throwPending() }
        return result
    }
}
