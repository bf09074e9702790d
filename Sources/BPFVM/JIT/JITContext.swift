/// What compiled code reads and writes besides the BPF registers: one per machine, behind a
/// pointer the code keeps in r12. Every field is 8 bytes; the compiler takes their offsets from
/// `MemoryLayout`, so the layout is Swift's to choose.
struct JITContext {
    /// The machine's register file (r0...r10): r10 lives there, r0-r9 whenever control leaves
    /// the code.
    var registers: UnsafeMutablePointer<UInt64>
    /// `MemoryMap.State` (the region table and its count).
    var memory: UnsafeMutablePointer<MemoryMap.State>
    /// Instructions left: each basic block takes its length on entry.
    var remaining: Int
    /// The current bpf-to-bpf frame, and the one whose `exit` returns from the run.
    var depth: Int
    var base: Int
    /// The lowest stack offset written (as `MemoryMap.stackDirtyLow`, widened).
    var stackLow: UInt64
    /// The stack's bytes (region `MemoryMap.stackTag`).
    var stack: UnsafeMutableRawPointer
    var frames: UnsafeMutablePointer<Frame>
    var loopAllowance: UnsafeMutablePointer<UInt32>
    /// The running program's decoded code (frames and callbacks name it) and its slot → native
    /// address table.
    var code: UnsafeMutablePointer<DecodedInstruction>?
    var nativeTable: UnsafePointer<UInt>?
    var machine: UnsafeMutableRawPointer
    /// The out-of-line work the code calls (C calling convention, first argument this context).
    var slowLoad: UnsafeRawPointer
    var slowStore: UnsafeRawPointer
    var call: UnsafeRawPointer
    /// Where the interpreter takes over after `JITStatus.resume`.
    var resumePC: Int
    var resumeCode: UnsafeMutablePointer<DecodedInstruction>?
    /// Set by a slow path that faulted (its error is the machine's `pendingError`).
    var faulted: Int
    /// The program a tail call continues in (`JITStatus.tailCall`), unretained.
    var tailTarget: UnsafeMutableRawPointer?
    /// The machine's run state, whose packet window (read at each use: a helper may replace the
    /// packet) gives the rewritten context's `data`, `data_end` and `data_meta` fields at these
    /// offsets, served without leaving the code; nil (and -1) when the context is not rewritten
    /// or has no packet fields (`BPFMachine.slowLoad` rules).
    var machineState: UnsafeMutablePointer<BPFMachine.State>?
    var fieldData: Int
    var fieldDataEnd: Int
    var fieldDataMeta: Int
}

/// How compiled code left: the value of its `eax`.
enum JITStatus: Int {
    /// `exit` of the base frame, or a helper that ended the run: r0 is the result.
    case exit = 0
    /// The run faulted; `pendingError` says why.
    case fault = 1
    /// The interpreter goes on at `resumeCode[resumePC]` (an instruction the compiler leaves to
    /// it, or a budget that runs out within the next block).
    case resume = 2
    /// A tail call to `tailTarget`, at frame `depth`.
    case tailCall = 3
}

/// Byte offsets of the fields the compiled code touches.
struct JITLayout {
    let registers = Int32(MemoryLayout<JITContext>.offset(of: \.registers)!)
    let memory = Int32(MemoryLayout<JITContext>.offset(of: \.memory)!)
    let remaining = Int32(MemoryLayout<JITContext>.offset(of: \.remaining)!)
    let depth = Int32(MemoryLayout<JITContext>.offset(of: \.depth)!)
    let base = Int32(MemoryLayout<JITContext>.offset(of: \.base)!)
    let stackLow = Int32(MemoryLayout<JITContext>.offset(of: \.stackLow)!)
    let stack = Int32(MemoryLayout<JITContext>.offset(of: \.stack)!)
    let frames = Int32(MemoryLayout<JITContext>.offset(of: \.frames)!)
    let loopAllowance = Int32(MemoryLayout<JITContext>.offset(of: \.loopAllowance)!)
    let code = Int32(MemoryLayout<JITContext>.offset(of: \.code)!)
    let nativeTable = Int32(MemoryLayout<JITContext>.offset(of: \.nativeTable)!)
    let slowLoad = Int32(MemoryLayout<JITContext>.offset(of: \.slowLoad)!)
    let slowStore = Int32(MemoryLayout<JITContext>.offset(of: \.slowStore)!)
    let call = Int32(MemoryLayout<JITContext>.offset(of: \.call)!)
    let resumePC = Int32(MemoryLayout<JITContext>.offset(of: \.resumePC)!)
    let resumeCode = Int32(MemoryLayout<JITContext>.offset(of: \.resumeCode)!)
    let faulted = Int32(MemoryLayout<JITContext>.offset(of: \.faulted)!)
    let machineState = Int32(MemoryLayout<JITContext>.offset(of: \.machineState)!)
    let statePacketWindow = Int32(MemoryLayout<BPFMachine.State>.offset(of: \.packetWindow)!)
    let fieldData = Int32(MemoryLayout<JITContext>.offset(of: \.fieldData)!)
    let fieldDataEnd = Int32(MemoryLayout<JITContext>.offset(of: \.fieldDataEnd)!)
    let fieldDataMeta = Int32(MemoryLayout<JITContext>.offset(of: \.fieldDataMeta)!)
    let windowMetaStart = Int32(MemoryLayout<PacketBuffer.Window>.offset(of: \.metaStart)!)
    let windowDataStart = Int32(MemoryLayout<PacketBuffer.Window>.offset(of: \.dataStart)!)
    let windowDataEnd = Int32(MemoryLayout<PacketBuffer.Window>.offset(of: \.dataEnd)!)

    let table = Int32(MemoryLayout<MemoryMap.State>.offset(of: \.table)!)
    let count = Int32(MemoryLayout<MemoryMap.State>.offset(of: \.count)!)

    let regionStride = Int32(MemoryLayout<Region>.stride)
    let regionBase = Int32(MemoryLayout<Region>.offset(of: \.base)!)
    let regionStart = Int32(MemoryLayout<Region>.offset(of: \.start)!)
    let regionReadLimit = Int32(MemoryLayout<Region>.offset(of: \.readLimit)!)
    let regionWriteLimit = Int32(MemoryLayout<Region>.offset(of: \.writeLimit)!)

    let frameStride = Int32(MemoryLayout<Frame>.stride)
    let frameReturnPC = Int32(MemoryLayout<Frame>.offset(of: \.returnPC)!)
    let frameCode = Int32(MemoryLayout<Frame>.offset(of: \.code)!)
    let frameSaved: [Int32] = [
        Int32(MemoryLayout<Frame>.offset(of: \.r6)!), Int32(MemoryLayout<Frame>.offset(of: \.r7)!),
        Int32(MemoryLayout<Frame>.offset(of: \.r8)!), Int32(MemoryLayout<Frame>.offset(of: \.r9)!),
        Int32(MemoryLayout<Frame>.offset(of: \.r10)!),
    ]
}
