/// Why loading or running a program failed: the kind, a message, and the instruction index.
public struct VMError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// A load, store or atomic outside every region the program may touch.
        case memoryFault
        /// An encoding the VM refuses at load time (unknown opcode, reserved field not zero, bad
        /// register, jump out of range or into the middle of `ld_imm64`).
        case invalidInstruction
        /// The instruction budget ran out.
        case budgetExhausted
        /// A call the VM does not model (helper or kfunc), found at load time.
        case unknownCall
        /// Too many nested bpf-to-bpf calls (8 frames).
        case callDepth
        /// A helper or kfunc refused its arguments (not a map, bad pointer, bad size...).
        case helperFault
        /// The program as a whole is unusable: empty, too large, referencing a missing map.
        case invalidProgram
    }

    public var kind: Kind
    public var message: String
    /// The index of the instruction slot where it happened.
    public var instruction: Int

    public init(_ kind: Kind, at instruction: Int, _ message: String) {
        self.kind = kind
        self.instruction = instruction
        self.message = message
    }

    public var description: String { "instruction \(instruction): \(message)" }
}
