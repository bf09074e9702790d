#if canImport(Glibc)
import Glibc
#endif

/// A program's compiled code: executable pages (written, then made read-only and executable) and
/// the native address of every slot (for returns from bpf-to-bpf calls).
final class JITCode {
    /// Whether this build can compile (x86-64 Linux).
    static var isSupported: Bool {
        #if arch(x86_64) && os(Linux)
        true
        #else
        false
        #endif
    }

    private let pages: UnsafeMutableRawPointer
    private let length: Int
    let nativeTable: UnsafeMutablePointer<UInt>
    let entry: JITEntry
    /// Bytes of machine code.
    let size: Int

    /// Compiles `count` slots of `code`; nil where the JIT does not run or does not take the program.
    init?(_ code: UnsafePointer<DecodedInstruction>, count: Int) {
        #if arch(x86_64) && os(Linux)
        guard let output = JITCompiler.compile(code, count: count) else { return nil }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = (output.bytes.count + page - 1) / page * page
        guard let pages = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            pages != MAP_FAILED
        else { return nil }
        output.bytes.withUnsafeBytes { pages.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        guard mprotect(pages, length, PROT_READ | PROT_EXEC) == 0 else {
            munmap(pages, length)
            return nil
        }
        self.pages = pages
        self.length = length
        size = output.bytes.count
        nativeTable = .allocate(capacity: count)
        let base = UInt(bitPattern: pages)
        for (slot, offset) in output.slotOffsets.enumerated() { nativeTable[slot] = base + UInt(offset) }
        entry = unsafeBitCast(pages, to: JITEntry.self)
        if JITCode.perfMap { Self.writePerfMap(base: base, offsets: output.slotOffsets, size: size, code: code) }
        #else
        return nil
        #endif
    }

    /// `CTSIM_PERF_MAP=1`: every compiled program's instructions are listed in
    /// `/tmp/perf-PID.map`, one symbol per BPF instruction (`bpf_<slot>_<op>`), so that `perf
    /// report` attributes compiled code to the instructions it came from.
    static let perfMap: Bool = {
        guard let value = getenv("CTSIM_PERF_MAP") else { return false }
        return String(cString: value) == "1"
    }()

    private static func writePerfMap(base: UInt, offsets: [Int], size: Int, code: UnsafePointer<DecodedInstruction>) {
        guard let file = fopen("/tmp/perf-\(getpid()).map", "a") else { return }
        defer { fclose(file) }
        // By address: a slot's code runs to the next slot's (stubs, placed after the program,
        // are named by the slot whose stub comes first).
        let ordered = offsets.enumerated().map { (offset: $0.element, slot: $0.offset) }.sorted { $0.offset < $1.offset }
        for (n, entry) in ordered.enumerated() {
            let end = n + 1 < ordered.count ? ordered[n + 1].offset : size
            guard end > entry.offset else { continue }
            fputs("\(String(base + UInt(entry.offset), radix: 16)) \(String(end - entry.offset, radix: 16)) bpf_\(entry.slot)_\(code[entry.slot].op)\n", file)
        }
    }

    deinit {
        #if arch(x86_64) && os(Linux)
        munmap(pages, length)
        #endif
        nativeTable.deallocate()
    }
}

/// Compiled code's entry: runs from slot 0 with the context; returns a `JITStatus`.
typealias JITEntry = @convention(c) (UnsafeMutableRawPointer) -> Int

// MARK: The machine's side

extension BPFMachine {
    /// Whether this build compiles programs to x86-64 (x86-64 Linux); elsewhere
    /// `MachineConfiguration.jit` has no effect and everything is interpreted.
    public static var canCompile: Bool { JITCode.isSupported }

    /// The context compiled code runs with, filled once per machine.
    static func makeJITContext(_ machine: BPFMachine) -> JITContext {
        JITContext(
                registers: machine.registers, memory: machine.memory.state, remaining: 0, depth: 0, base: 0,
                stackLow: UInt64(UInt32.max), stack: machine.stack, frames: machine.frames, loopAllowance: machine.loopAllowance,
                code: nil, nativeTable: nil,
                machine: Unmanaged.passUnretained(machine).toOpaque(),
                slowLoad: unsafeBitCast(jitSlowLoad, to: UnsafeRawPointer.self),
                slowStore: unsafeBitCast(jitSlowStore, to: UnsafeRawPointer.self),
                call: unsafeBitCast(jitCall, to: UnsafeRawPointer.self), resumePC: 0,
                resumeCode: nil, faulted: 0, tailTarget: nil, machineState: nil, fieldData: -1, fieldDataEnd: -1,
                fieldDataMeta: -1)
    }

    /// Runs `program` from its first instruction (frame 0) in compiled code, the interpreter
    /// taking over where the code hands over; as `interpret`.
    func execute(_ program: VMProgram, budget: inout Int) -> UInt64? {
        let c = jitContext
        // The code reaches r10-relative stack slots without a table lookup: only while the
        // stack region is the machine's whole stack (as it always is).
        let region = memory.table[Int(MemoryMap.stackTag)]
        guard region.base == stack, region.start == 0, region.readLimit == UInt64(Self.stackSize),
            region.writeLimit == UInt64(Self.stackSize)
        else { return interpret(program.code, budget: &budget) }
        let label = budget
        c.pointee.remaining = budget
        c.pointee.depth = 0
        c.pointee.base = 0
        c.pointee.stackLow = UInt64(UInt32.max)
        c.pointee.code = program.code
        c.pointee.nativeTable = program.jitTable
        c.pointee.faulted = 0
        let s = state
        if s.pointee.contextRewritten, let fields = s.pointee.packetFields {
            c.pointee.machineState = s
            (c.pointee.fieldData, c.pointee.fieldDataEnd, c.pointee.fieldDataMeta) = (fields.data, fields.dataEnd, fields.dataMeta)
        } else {
            c.pointee.machineState = nil
        }
        loopAllowance[0] = BPFMachine.maxLoops
        defer {
            budget = c.pointee.remaining
            let low = UInt32(truncatingIfNeeded: c.pointee.stackLow)
            if low < memory.stackDirtyLow { memory.stackDirtyLow = low }
        }
        var entry = program.jitEntry.unsafelyUnwrapped
        while true {
            switch JITStatus(rawValue: entry(UnsafeMutableRawPointer(c))) ?? .fault {
            case .exit:
                return registers[0]
            case .fault:
                return nil
            case .resume:
                return resume(c.pointee.resumeCode!, pc: c.pointee.resumePC, depth: c.pointee.depth, base: 0,
                              budget: &c.pointee.remaining, label: label)
            case .tailCall:
                let target = Unmanaged<VMProgram>.fromOpaque(c.pointee.tailTarget!).takeUnretainedValue()
                if c.pointee.depth == 0, let next = target.jitEntry {
                    c.pointee.code = target.code
                    c.pointee.nativeTable = target.jitTable
                    entry = next
                } else {
                    return resume(target.code, pc: 0, depth: c.pointee.depth, base: 0, budget: &c.pointee.remaining, label: label)
                }
            }
        }
    }
}

/// A load the inline check refused: (context, address, op, slot) → the value; a fault sets
/// `faulted`.
private let jitSlowLoad: @convention(c) (UnsafeMutableRawPointer, UInt64, UInt64, Int) -> UInt64 = { raw, address, op, slot in
    let c = raw.assumingMemoryBound(to: JITContext.self)
    let operation = Op(rawValue: UInt8(truncatingIfNeeded: op)) ?? .ldxdw
    let size: Int
    switch operation {
    case .ldxb, .ldxsb: size = 1
    case .ldxh, .ldxsh: size = 2
    case .ldxw, .ldxsw: size = 4
    default: size = 8
    }
    // The machine outlives every run of its code: no retain for the call.
    let loaded = Unmanaged<BPFMachine>.fromOpaque(c.pointee.machine)._withUnsafeGuaranteedRef { $0.slowLoad(address, size, slot) }
    guard let value = loaded else {
        c.pointee.faulted = 1
        return 0
    }
    return signExtendLoad(operation, value)
}

/// A store the inline check refused: (context, address, size, value, slot); a fault sets `faulted`.
private let jitSlowStore: @convention(c) (UnsafeMutableRawPointer, UInt64, Int, UInt64, Int) -> UInt64 = { raw, address, size, value, slot in
    let c = raw.assumingMemoryBound(to: JITContext.self)
    let stored = Unmanaged<BPFMachine>.fromOpaque(c.pointee.machine)._withUnsafeGuaranteedRef { $0.slowStore(address, size, value, slot) }
    if !stored { c.pointee.faulted = 1 }
    return 0
}

/// A helper or kfunc call at `slot`: 0 to go on, else the `JITStatus` + 1 to leave with.
private let jitCall: @convention(c) (UnsafeMutableRawPointer, Int) -> Int = { raw, slot in
    let c = raw.assumingMemoryBound(to: JITContext.self)
    return Unmanaged<BPFMachine>.fromOpaque(c.pointee.machine)._withUnsafeGuaranteedRef { machine in
        // Callbacks (bpf_loop, ...) run this program's code in the interpreter and spend this budget.
        machine.callCode = c.pointee.code
        machine.callBudget = c.pointee.remaining
        let outcome = machine.callOut(c.pointee.code.unsafelyUnwrapped[slot], slot, c.pointee.depth)
        c.pointee.remaining = machine.callBudget
        switch outcome {
        case .continue:
            return 0
        case .exit:
            return JITStatus.exit.rawValue + 1
        case .fault:
            return JITStatus.fault.rawValue + 1
        case .tailCall(let target):
            c.pointee.tailTarget = Unmanaged.passUnretained(target).toOpaque()
            return JITStatus.tailCall.rawValue + 1
        }
    }
}
