import BPFVerifier
import CtsimTesting
import Foundation
import KernelBackend
import Testing

/// The level-1 log against the kernel's own, line for line: the entry state, `; source @ file:line`
/// lines from BTF line_info, `N: (op) insn` lines with the registers and stack slots each
/// instruction touched (aligned as the kernel aligns them), the error and `processed N insns`.
///
/// What still differs, and why those programs are not listed: `ld_imm64` of a map prints the map's
/// kernel address; kfunc calls print the host's BTF ids; the state counters after `processed`
/// (`max_states_per_insn`, `total_states`, `peak_states`) follow the kernel's pruning heuristics,
/// which ctsim does not copy.
@Suite("Verifier log agrees with the kernel's")
struct LogFidelityTests {
    /// Rejected programs whose whole level-1 log (but the summary line's state counters) is the kernel's.
    static let wholeLog: Set<String> = [
        "core/atomic_on_ctx", "core/csum_past_packet", "core/div_by_zero_imm", "core/frame_pointer_write",
        "core/helper_clobbers", "core/helper_unknown", "core/helper_wrong_type", "core/infinite_loop",
        "core/map_arg_scalar", "core/misc_byte_read", "core/partial_fill", "core/pkt_after_adjust_head",
        "core/pkt_end_arith", "core/pkt_meta_unchecked", "core/pkt_off_by_one", "core/pkt_unchecked",
        "core/pkt_variable_unchecked", "core/pointer_narrow_spill", "core/ptr_arith_32", "core/ptr_bitwise",
        "core/ptr_mul", "core/ptr_plus_ptr", "core/r0_uninitialized", "core/r2_uninitialized", "core/scalar_deref",
        "core/stack_above_frame", "core/stack_below_limit", "core/stack_misaligned", "core/subprogram_reads_past",
        "core/tc_cb_past_end", "core/tc_family", "core/tc_len_write", "core/tc_load_bytes_too_big",
        "core/tc_pkt_unchecked", "core/tc_wide_data", "core/unbounded_ptr_math", "core/unreachable_code",
        "core/xdp_ctx_egress", "core/xdp_ctx_modified", "core/xdp_ctx_narrow", "core/xdp_ctx_past_end",
        "core/xdp_ctx_write",
    ]
    /// Further rejected programs whose last `tail` lines before the summary are the kernel's.
    static let lastLines: Set<String> = [
        "conntrack/alloc_leak", "conntrack/leak_on_one_path", "conntrack/lookup_leak", "conntrack/read_past_nf_conn",
        "conntrack/write_mark_u8", "conntrack/write_not_allowlisted_field", "core/key_out_of_stack",
        "core/loop_past_map", "core/map_index_off_by_one", "core/map_no_null_check", "core/map_value_past_end",
    ]
    static let tail = 4
    /// Accepted programs' processed counts may differ by this fraction (the kernel prunes at more
    /// points); rejected ones must be equal.
    static let acceptedTolerance = 0.35

    static func body(_ log: String) -> [String] {
        log.split(separator: "\n").map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("processed ") }
    }

    @Test("level-1 log lines and processed counts", .needsKernel, arguments: ["core", "conntrack"])
    func logAgrees(corpus: String) throws {
        let path = try Support.compile(corpus)
        let simulated = try Support.verifyAll(path, logLevel: 1)
        let kernel = try KernelFixture.withNamespace { namespace in
            try namespace.run { try KernelProgramLoader.verify(path: path) }
        }
        var whole = 0, tails = 0
        for k in kernel {
            let name = "\(corpus)/\(k.program)"
            let s = try #require(simulated[k.program], "\(name)")
            if let kp = k.processedInstructions {
                if k.accepted {
                    let deviation = abs(Double(s.processedInstructions - kp)) / Double(max(kp, 1))
                    #expect(deviation <= Self.acceptedTolerance, "\(name): processed \(s.processedInstructions), kernel \(kp)")
                } else {
                    #expect(s.processedInstructions == kp, "\(name): processed")
                }
            }
            let mine = Self.body(s.log), theirs = Self.body(k.log)
            if Self.wholeLog.contains(name) {
                #expect(mine == theirs, "\(name): level-1 log")
                whole += 1
            }
            if Self.wholeLog.contains(name) || Self.lastLines.contains(name) {
                #expect(Array(mine.suffix(Self.tail)) == Array(theirs.suffix(Self.tail)), "\(name): last \(Self.tail) lines")
                tails += 1
            }
        }
        #expect(whole == Self.wholeLog.filter { $0.hasPrefix(corpus + "/") }.count)
        #expect(tails == Self.wholeLog.union(Self.lastLines).filter { $0.hasPrefix(corpus + "/") }.count)
    }

    /// Without a kernel: the log's shape for one program, as the kernel printed it (6.18).
    @Test func levelOneShape() throws {
        let verdicts = try Support.verifyAll(try Support.compile("core"), logLevel: 1)
        let log = Self.body(try #require(verdicts["stack_misaligned"]).log)
        #expect(log.first == "0: R1=ctx() R10=fp0")
        #expect(log.contains { $0.hasPrefix("; ") && $0.contains(" @ core.bpf.c.txt:") })
        // `;` at column 38 for a short instruction line
        let annotated = try #require(log.first { $0.hasPrefix("0: (") })
        #expect(annotated.firstIndex(of: ";").map { annotated.distance(from: annotated.startIndex, to: $0) } == 38)
    }
}
