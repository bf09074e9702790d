/// What one byte of a stack slot holds (`STACK_*`).
public enum StackByte: UInt8, Hashable, Sendable {
    case invalid, misc, zero, spill
}

/// One 8-byte stack slot: per-byte kinds and the spilled register when the slot holds one.
public struct StackSlot: Hashable, Sendable {
    public var bytes: [StackByte] = Array(repeating: .invalid, count: 8)
    public var spilled: RegisterState = .notInitialized
    /// Bytes the spill covers, from the slot's lowest address (narrow scalar spills are < 8).
    public var spillSize: Int = 0

    public init() {}

    /// Whether the slot holds a spilled register (its lowest byte is part of the spill).
    public var isSpill: Bool { bytes[0] == .spill }
    public var isEmpty: Bool { bytes.allSatisfy { $0 == .invalid } }
}

/// One function frame: its registers, its 512-byte stack (64 slots, slot 0 at fp-8), and where
/// it returns to.
public struct FrameState: Hashable, Sendable {
    public var registers: [RegisterState]
    public var stack: [StackSlot] = []
    public var callSite: Int = -1
    public var frameNumber: Int = 0

    public init(frameNumber: Int) {
        registers = Array(repeating: .notInitialized, count: 11)
        var fp = RegisterState(kind: .stack)
        fp.frame = frameNumber
        registers[10] = fp
        self.frameNumber = frameNumber
    }

    /// The slot holding byte `fp + offset` (offset in -512..<0), growing the stack as needed.
    public mutating func slot(for offset: Int) -> Int {
        let index = (-offset - 1) / 8
        if stack.count <= index { stack.append(contentsOf: Array(repeating: StackSlot(), count: index + 1 - stack.count)) }
        return index
    }
}

/// A held reference: its id and the instruction that acquired it.
public struct HeldReference: Hashable, Sendable {
    public var id: UInt32
    public var instruction: Int
}

/// The whole abstract machine state at one instruction (`struct bpf_verifier_state`).
public struct VerifierState: Hashable, Sendable {
    public var frames: [FrameState]
    public var references: [HeldReference] = []
    /// How many may_goto fall-throughs this path took (`may_goto_depth`): two states of a loop
    /// differ in it, so they are not an infinite loop.
    public var mayGotoDepth = 0

    public init() { frames = [FrameState(frameNumber: 0)] }

    public var current: FrameState {
        get { frames[frames.count - 1] }
        set { frames[frames.count - 1] = newValue }
    }

    public subscript(register r: Int) -> RegisterState {
        get { frames[frames.count - 1].registers[r] }
        set { frames[frames.count - 1].registers[r] = newValue }
    }

    /// Applies `body` to every register and spilled register of every frame.
    public mutating func forEachRegister(_ body: (inout RegisterState) -> Void) {
        for f in frames.indices {
            for r in frames[f].registers.indices { body(&frames[f].registers[r]) }
            for s in frames[f].stack.indices where frames[f].stack[s].isSpill { body(&frames[f].stack[s].spilled) }
        }
    }
}
