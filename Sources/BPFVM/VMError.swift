/// Why a program run ended abnormally: the kind, a message, and the instruction index.
public struct VMError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// A load, store or atomic outside every region the program may touch.
        case memoryFault
        /// Division or modulo faults do not exist in BPF (x/0 = 0); this is for invalid encodings.
        case invalidInstruction
        /// The instruction budget ran out.
        case budgetExhausted
        /// A call the VM does not model.
        case unknownCall
        /// Too many nested bpf-to-bpf calls or tail calls.
        case callDepth
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
