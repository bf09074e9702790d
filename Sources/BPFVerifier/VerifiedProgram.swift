import BPFObject

/// What the verifier hands the VM for a program it accepted: the program decoded once, and what
/// exploring it proved. `BPFMachine.load(_:)` takes it as it is (it links helpers, kfuncs and maps
/// but decodes nothing).
///
/// The facts are safe for the VM to rely on for bookkeeping; they never replace its run-time
/// checks: every memory access is still checked against its region when it runs.
public final class VerifiedProgram: Sendable {
    /// One function of the program (`bpf_subprog_info`).
    public struct Subprogram: Hashable, Sendable {
        /// Its first instruction slot.
        public var start: Int
        /// One past its last slot.
        public var end: Int
        /// The deepest stack byte it touches, in bytes below its frame pointer (the kernel's
        /// `stack depth` figure for the subprogram).
        public var stackDepth: Int
    }

    /// The program's name (its function symbol).
    public let name: String
    public let type: BPFObject.ProgramType
    /// The decoded code (decoded once, here).
    public let decoded: DecodedProgram
    /// Per instruction slot: whether some path the verifier explored executes it (the second slot
    /// of `ld_imm64` counts with its first). Slots left false are dead code: no run reaches them.
    public let reachable: [Bool]
    /// The program's functions, in slot order (the main program first).
    public let subprograms: [Subprogram]
    /// The deepest combined stack of any call chain the verifier saw, each frame's depth rounded
    /// up to 32 bytes as the kernel's `check_max_stack_depth` does (at most 512).
    public let maxCombinedStackDepth: Int

    public init(
        name: String, type: BPFObject.ProgramType, decoded: DecodedProgram, reachable: [Bool], subprograms: [Subprogram],
        maxCombinedStackDepth: Int
    ) {
        self.name = name
        self.type = type
        self.decoded = decoded
        self.reachable = reachable
        self.subprograms = subprograms
        self.maxCombinedStackDepth = maxCombinedStackDepth
    }

    /// The number of slots no explored path executes.
    public var deadSlots: Int { reachable.lazy.filter { !$0 }.count }

    /// The kernel's `stack depth` line: each subprogram's depth joined by `+` (`stack depth 56+8`).
    public var stackDepthLine: String { "stack depth " + subprograms.map { "\($0.stackDepth)" }.joined(separator: "+") }
}
