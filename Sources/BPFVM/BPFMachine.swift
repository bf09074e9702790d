import BPFObject
import BPFVerifier

#if canImport(Glibc)
import Glibc
#endif

/// The program types the machine distinguishes (for return codes of redirect helpers and the
/// helpers each type may call).
public enum ProgramType: String, Sendable {
    case unspecified, xdp, schedCLS = "sched_cls", socketFilter = "socket_filter"
}

/// Settings of a machine.
public struct MachineConfiguration: Sendable {
    public var programType: ProgramType = .unspecified
    /// Simulated CPUs (per-CPU maps hold one value per CPU) and the one the program runs on.
    public var cpuCount = 1
    public var cpu = 0
    /// Seed of `bpf_get_prandom_u32`: the same seed gives the same sequence.
    public var randomSeed: UInt64 = 0x0123_4567_89AB_CDEF
    /// CONFIG_HZ, for `bpf_jiffies64`.
    public var hz: UInt64 = 250
    /// Instructions one run may execute before it fails with `.budgetExhausted`.
    public var instructionBudget = 10_000_000
    /// Whether programs run as x86-64 code the machine compiles when it loads them (where the
    /// build can: x86-64 Linux), with the interpreter's results. The interpreter runs whatever
    /// the compiler leaves to it, and everything when this is off. `CTSIM_JIT=0` in the
    /// environment turns it off by default.
    public var jit = MachineConfiguration.jitDefault

    /// On unless `CTSIM_JIT=0` is in the environment.
    public static let jitDefault: Bool = {
        guard let value = getenv("CTSIM_JIT") else { return true }
        return String(cString: value) != "0"
    }()

    public init() {}
}

/// The clock helpers read (`bpf_ktime_get_ns` and friends, `bpf_jiffies64`).
public protocol VMClock: AnyObject {
    var nanoseconds: UInt64 { get }
}

/// A clock that says what it is told: the replay sets it to each packet's timestamp.
public final class ManualClock: VMClock {
    @exclusivity(unchecked) public var nanoseconds: UInt64
    public init(nanoseconds: UInt64 = 0) { self.nanoseconds = nanoseconds }
}

/// Serves context loads and stores that need rewriting (the kernel's `convert_ctx_access`): the
/// UAPI `xdp_md`/`__sk_buff` fields the program reads are computed from the machine's state.
/// Every access to a context region set with `rewritten: true` comes here.
public protocol ContextAccess: AnyObject {
    /// The value of `size` bytes at `offset` of the context, or nil for a fault.
    func load(offset: Int, size: Int, machine: BPFMachine) -> UInt64?
    /// Stores `size` bytes of `value` at `offset`; false for a fault.
    func store(offset: Int, size: Int, value: UInt64, machine: BPFMachine) -> Bool
}

/// One line the program printed with `bpf_trace_printk`.
public struct TraceRecord: Hashable, Sendable {
    /// The clock at the call.
    public var nanoseconds: UInt64
    public var text: String
}

/// Where a redirect helper asked the packet to go.
public enum RedirectTarget: Hashable, Sendable {
    case interface(ifindex: UInt32, flags: UInt64)
    case map(index: Int, key: UInt32, flags: UInt64)
}

/// A pure-Swift BPF machine: the tagged memory, the maps, the loaded programs, the helpers and
/// the kfuncs. Load programs with `load(_:name:options:)`, run them with `run(_:r1:r2:)`.
///
/// Not thread-safe: one machine per thread.
public final class BPFMachine {
    /// The per-run state, behind a pointer: reading or writing a class's stored `var` costs a
    /// dynamic exclusivity check (and a retain for references) on every access, a `let`
    /// pointer's pointee none (as `MemoryMap.State`).
    struct State {
        var configuration: MachineConfiguration
        var redirect: RedirectTarget?
        var executedInstructions = 0
        var pendingError: VMError?
        var tailCalls = 0
        var callCode: UnsafeMutablePointer<DecodedInstruction>?
        var callBudget = 0
        /// The current packet's window (nil without a packet) and the context fields served from it.
        var packetWindow: UnsafeMutablePointer<PacketBuffer.Window>?
        var packetFields: ContextPacketFields?
        /// Whether the context region is rewritten (set by `setContext`): only then are fields served.
        var contextRewritten = false
    }

    let state: UnsafeMutablePointer<State>

    public var configuration: MachineConfiguration {
        @inline(__always) get { state.pointee.configuration }
        set { state.pointee.configuration = newValue }
    }
    public let memory = MemoryMap()
    /// The helpers programs may call; resolved when a program is loaded.
    public var helpers: HelperTable
    /// The kfuncs programs may call; resolved when a program is loaded.
    @exclusivity(unchecked) public var kfuncs = KfuncTable()
    @exclusivity(unchecked) public var clock: any VMClock = ManualClock()
    /// Serves a rewritten context region.
    @exclusivity(unchecked) public var contextAccess: (any ContextAccess)?
    @exclusivity(unchecked) public private(set) var maps: [BPFMap] = []
    @exclusivity(unchecked) public private(set) var programs: [VMProgram] = []
    /// Lines printed by `bpf_trace_printk`, across runs until cleared.
    @exclusivity(unchecked) public var trace: [TraceRecord] = []
    /// Set by redirect helpers during the last run.
    public internal(set) var redirect: RedirectTarget? {
        @inline(__always) get { state.pointee.redirect }
        set { state.pointee.redirect = newValue }
    }
    /// Instructions the last run executed.
    public internal(set) var executedInstructions: Int {
        @inline(__always) get { state.pointee.executedInstructions }
        set { state.pointee.executedInstructions = newValue }
    }
    /// Context fields (4-byte loads at these offsets of a rewritten context) the machine serves
    /// itself from its packet: `data`, `data_end`, `data_meta` as packet pointers (only while the
    /// context is `rewritten`). Other accesses, and these without a packet, go to `contextAccess`.
    public var contextPacketFields: ContextPacketFields? {
        get { state.pointee.packetFields }
        set { state.pointee.packetFields = newValue }
    }
    /// The packet of the current run, if any (XDP/TC helpers work on it).
    @exclusivity(unchecked) public var packet: PacketBuffer? { didSet { updatePacketRegion() } }

    static let stackFrameSize = 512
    static let maxFrames = 8
    static let maxTailCalls = 33
    static var stackSize: Int { stackFrameSize * maxFrames }

    let stack: UnsafeMutableRawPointer
    let registers: UnsafeMutablePointer<UInt64>
    let frames: UnsafeMutablePointer<Frame>
    /// Each frame's may_goto allowance (the kernel's hidden stack slot, `BPF_MAX_LOOPS`).
    let loopAllowance: UnsafeMutablePointer<UInt32>
    static let maxLoops: UInt32 = 8 * 1024 * 1024
    @exclusivity(unchecked) var resolvedHelpers: [ResolvedFunction] = []
    @exclusivity(unchecked) var resolvedHelperIndex: [Int32: Int] = [:]
    @exclusivity(unchecked) var resolvedKfuncs: [ResolvedFunction] = []
    var pendingError: VMError? {
        get { state.pointee.pendingError }
        set { state.pointee.pendingError = newValue }
    }
    var tailCalls: Int {
        @inline(__always) get { state.pointee.tailCalls }
        set { state.pointee.tailCalls = newValue }
    }
    /// The code and remaining budget of the run making the current helper call (for callbacks).
    var callCode: UnsafeMutablePointer<DecodedInstruction>? {
        @inline(__always) get { state.pointee.callCode }
        set { state.pointee.callCode = newValue }
    }
    var callBudget: Int {
        @inline(__always) get { state.pointee.callBudget }
        set { state.pointee.callBudget = newValue }
    }
    @exclusivity(unchecked) var randomState: UInt64
    /// What compiled code runs with (see `JITContext`).
    let jitContext: UnsafeMutablePointer<JITContext>
    private var bufferStorage: UnsafeMutableRawPointer?
    private var bufferLength = 0
    private var contextStorage: UnsafeMutableRawPointer?

    public init(configuration: MachineConfiguration = MachineConfiguration(), helpers: HelperTable = .standard) {
        state = .allocate(capacity: 1)
        state.initialize(to: State(configuration: configuration))
        self.helpers = helpers
        randomState = configuration.randomSeed
        stack = .allocate(byteCount: Self.stackSize, alignment: 16)
        stack.initializeMemory(as: UInt8.self, repeating: 0, count: Self.stackSize)
        registers = .allocate(capacity: 16)
        registers.initialize(repeating: 0, count: 16)
        frames = .allocate(capacity: Self.maxFrames)
        loopAllowance = .allocate(capacity: Self.maxFrames)
        loopAllowance.initialize(repeating: Self.maxLoops, count: Self.maxFrames)
        memory.set(tag: MemoryMap.stackTag, kind: .stack, base: stack, length: Self.stackSize, writable: true)
        jitContext = .allocate(capacity: 1)
        jitContext.initialize(to: Self.makeJITContext(self))
    }

    deinit {
        stack.deallocate()
        registers.deallocate()
        frames.deallocate()
        loopAllowance.deallocate()
        jitContext.deinitialize(count: 1)
        jitContext.deallocate()
        bufferStorage?.deallocate()
        contextStorage?.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    // MARK: Maps

    /// Creates a map (its index is its "fd" for `ld_imm64` BPF_PSEUDO_MAP_FD/MAP_VALUE/MAP_IDX).
    @discardableResult
    public func createMap(_ definition: MapDefinition) throws(VMError) -> BPFMap {
        let map = try BPFMap.make(definition, index: maps.count, machine: self)
        maps.append(map)
        return map
    }

    /// The map named `name`, if any.
    public func map(named name: String) -> BPFMap? { maps.first { $0.definition.name == name } }

    // MARK: Inputs

    /// Copies `bytes` into the plain memory buffer (the conformance suite's "mem") and returns its address.
    @discardableResult
    public func setBuffer(_ bytes: [UInt8]) -> UInt64 {
        bufferStorage?.deallocate()
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        bytes.withUnsafeBytes { if let b = $0.baseAddress { storage.copyMemory(from: b, byteCount: bytes.count) } }
        bufferStorage = storage
        bufferLength = bytes.count
        memory.set(tag: MemoryMap.bufferTag, kind: .buffer, base: storage, length: bytes.count, writable: true)
        return memory.address(tag: MemoryMap.bufferTag, offset: 0)
    }

    /// The buffer's bytes now (after a run).
    public var bufferBytes: [UInt8] {
        guard let bufferStorage else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: bufferStorage, count: bufferLength))
    }

    /// Sets the context region: plain bytes the program reads and writes directly, or, with
    /// `rewritten`, `size` bytes whose every access goes to `contextAccess`. Returns its address.
    @discardableResult
    public func setContext(_ bytes: [UInt8], rewritten: Bool = false) -> UInt64 {
        contextStorage?.deallocate()
        contextStorage = nil
        state.pointee.contextRewritten = rewritten
        if rewritten {
            memory.set(tag: MemoryMap.contextTag, kind: .context, base: nil, length: 0, writable: false)
        } else {
            let storage = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
            bytes.withUnsafeBytes { if let b = $0.baseAddress { storage.copyMemory(from: b, byteCount: bytes.count) } }
            contextStorage = storage
            memory.set(tag: MemoryMap.contextTag, kind: .context, base: storage, length: bytes.count, writable: true)
        }
        return memory.address(tag: MemoryMap.contextTag, offset: 0)
    }

    /// The address of the context region.
    public var contextAddress: UInt64 { memory.address(tag: MemoryMap.contextTag, offset: 0) }

    /// Packet addresses for a context: (data_meta, data, data_end).
    public var packetPointers: (meta: UInt64, data: UInt64, end: UInt64)? {
        guard let packet else { return nil }
        let t = UInt64(MemoryMap.packetTag) << 32
        return (t | UInt64(packet.metaStart), t | UInt64(packet.dataStart), t | UInt64(packet.dataEnd))
    }

    func updatePacketRegion() {
        guard let packet else {
            state.pointee.packetWindow = nil
            memory.set(tag: MemoryMap.packetTag, kind: .packet, base: nil, length: 0, writable: false)
            return
        }
        state.pointee.packetWindow = packet.window
        memory.set(
            tag: MemoryMap.packetTag, kind: .packet, base: packet.storage + packet.metaStart,
            start: UInt32(packet.metaStart), length: packet.dataEnd - packet.metaStart, writable: true)
    }

    // MARK: Randomness

    /// The next value of the seeded generator (splitmix64).
    func nextRandom() -> UInt64 {
        randomState &+= 0x9E37_79B9_7F4A_7C15
        var z = randomState
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    // MARK: Loading

    /// Loads raw bytecode no verifier has seen: pre-decodes and validates `instructions` (the
    /// structural checks of `ProgramDecoder`, all an unverified program gets before it runs) and
    /// links them against this machine's maps, helpers and kfuncs.
    /// - Throws: `VMError` with `.invalidInstruction`, `.unknownCall` or `.invalidProgram`.
    @discardableResult
    public func load(_ instructions: [Instruction], name: String = "prog", options: LoadOptions = LoadOptions())
        throws(VMError) -> VMProgram
    {
        let decoded: DecodedProgram
        do throws(DecodingError) {
            decoded = try ProgramDecoder.decode(instructions, kfuncNames: options.kfuncNames)
        } catch {
            throw VMError(error)
        }
        return try install(decoded, name: name, verified: nil)
    }

    /// Loads a program the verifier accepted (`VerifierVerdict.program`) as the verifier decoded
    /// it: links its helper, kfunc and map references against this machine; decodes nothing.
    /// Memory accesses are still checked when they run.
    /// - Parameter name: the program's name (the verified program's own when nil).
    /// - Throws: `VMError` `.unknownCall` (a helper or kfunc this machine does not model) or
    ///   `.invalidProgram` (a map it does not have).
    @discardableResult
    public func load(_ verified: VerifiedProgram, name: String? = nil) throws(VMError) -> VMProgram {
        try install(verified.decoded, name: name ?? verified.name, verified: verified)
    }

    private func install(_ decoded: DecodedProgram, name: String, verified: VerifiedProgram?) throws(VMError) -> VMProgram {
        let code = try ProgramLinker.link(decoded, machine: self)
        let program = VMProgram(
            name: name, index: programs.count, code: code, slotCount: decoded.slotCount, verified: verified,
            compile: configuration.jit)
        programs.append(program)
        return program
    }

    func helperIndex(for id: Int32) -> Int? {
        if let index = resolvedHelperIndex[id] { return index }
        guard let helper = helpers[id] else { return nil }
        resolvedHelpers.append(ResolvedFunction(helper.function))
        resolvedHelperIndex[id] = resolvedHelpers.count - 1
        return resolvedHelpers.count - 1
    }

    func kfuncIndex(_ kfunc: Kfunc) -> Int {
        resolvedKfuncs.append(ResolvedFunction(kfunc.function))
        return resolvedKfuncs.count - 1
    }

    // MARK: Running

    /// Runs `program` from its first instruction with r1, r2 as given and r10 at the top of the
    /// stack; returns r0.
    /// - Parameter budget: instructions allowed (default: the configuration's).
    /// - Throws: `VMError` when the program faults, runs out of budget or nests too deep.
    public func run(_ program: VMProgram, r1: UInt64 = 0, r2: UInt64 = 0, budget: Int? = nil) throws(VMError) -> UInt64 {
        // Every run starts on a zeroed stack; only what earlier runs wrote needs zeroing again.
        let dirty = Int(min(memory.stackDirtyLow, UInt32(Self.stackSize)))
        (stack + dirty).initializeMemory(as: UInt8.self, repeating: 0, count: Self.stackSize - dirty)
        memory.stackDirtyLow = .max
        for i in 0..<16 { registers[i] = 0 }
        registers[1] = r1
        registers[2] = r2
        registers[10] = memory.address(tag: MemoryMap.stackTag, offset: Self.stackSize)
        let s = state
        s.pointee.redirect = nil
        s.pointee.tailCalls = 0
        s.pointee.pendingError = nil
        let allowed = max(budget ?? s.pointee.configuration.instructionBudget, 1)
        var remaining = allowed
        let result: UInt64?
        if program.jitEntry != nil {
            result = execute(program, budget: &remaining)
        } else {
            result = interpret(program.code, budget: &remaining)
        }
        s.pointee.executedInstructions = allowed - remaining
        guard let result else { try throwPending() }
        return result
    }

    @inline(never)
    func throwPending() throws(VMError) -> Never {
        throw pendingError ?? VMError(.invalidProgram, at: 0, "the run stopped without a reason")
    }
}

/// The offsets in a rewritten context of the 32-bit packet pointer fields (`xdp_md` or
/// `__sk_buff`: `data`, `data_end`, `data_meta`) the machine serves from its packet.
public struct ContextPacketFields: Hashable, Sendable {
    public var data: Int
    public var dataEnd: Int
    public var dataMeta: Int

    public init(data: Int, dataEnd: Int, dataMeta: Int) {
        (self.data, self.dataEnd, self.dataMeta) = (data, dataEnd, dataMeta)
    }

    /// `struct xdp_md`.
    public static let xdp = ContextPacketFields(data: 0, dataEnd: 4, dataMeta: 8)
    /// `struct __sk_buff`.
    public static let skb = ContextPacketFields(data: 76, dataEnd: 80, dataMeta: 140)
}

/// Options for loading a program.
public struct LoadOptions: Sendable {
    /// Kfunc names by instruction index (from the object's relocations), to resolve kfunc calls.
    public var kfuncNames: [Int: String] = [:]
    /// Whether to accept `ld_imm64` map references (else they are an error).
    public init(kfuncNames: [Int: String] = [:]) { self.kfuncNames = kfuncNames }
}

/// A program the machine pre-decoded: it owns its decoded instructions.
public final class VMProgram {
    public let name: String
    /// Index in `machine.programs` (the "fd" a prog array stores).
    public let index: Int
    /// The number of instruction slots.
    public let slotCount: Int
    /// What the verifier handed over when the program was loaded from a `VerifiedProgram` (its
    /// decoded code is what this program runs); nil for raw bytecode.
    public let verified: VerifiedProgram?
    let code: UnsafeMutablePointer<DecodedInstruction>
    /// The program as x86-64 code, when the machine compiles (`MachineConfiguration.jit`) and the
    /// compiler takes it.
    let jit: JITCode?
    /// The compiled code's entry and slot table, held here without reference counting (`jit`
    /// owns them).
    let jitEntry: JITEntry?
    let jitTable: UnsafePointer<UInt>?

    /// Bytes of compiled code (0 when the program is interpreted).
    public var compiledSize: Int { jit?.size ?? 0 }

    init(name: String, index: Int, code: [DecodedInstruction], slotCount: Int, verified: VerifiedProgram? = nil, compile: Bool) {
        self.name = name
        self.index = index
        self.slotCount = slotCount
        self.verified = verified
        self.code = .allocate(capacity: code.count)
        self.code.initialize(from: code, count: code.count)
        jit = compile && JITCode.isSupported ? JITCode(self.code, count: code.count) : nil
        jitEntry = jit?.entry
        jitTable = jit.map { UnsafePointer($0.nativeTable) }
    }

    deinit { code.deallocate() }
}

/// A saved caller frame of a bpf-to-bpf call.
struct Frame {
    var returnPC: Int
    var code: UnsafeMutablePointer<DecodedInstruction>
    var r6: UInt64, r7: UInt64, r8: UInt64, r9: UInt64, r10: UInt64
}

/// A linked helper or kfunc. The box keeps the closure at its own type: a function stored as an
/// array element is kept in the most general form, and every call would go through two
/// reabstraction thunks.
final class ResolvedFunction {
    let call: HelperFunction
    init(_ call: @escaping HelperFunction) { self.call = call }
}
