/// Why the assembler refused a line: the kind, a message, and the 1-based source line.
public struct AssemblerError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The first word is no mnemonic of the syntax.
        case invalidMnemonic
        /// `%rN` with N outside 0...10, or something else where a register belongs.
        case invalidRegister
        /// Too few or too many operands for the mnemonic.
        case operandCount
        /// An immediate that does not parse or does not fit its field.
        case immediateRange
        /// A memory offset or jump offset that does not parse or does not fit 16 bits.
        case offsetRange
        /// A memory operand that is not `[%rN]`, `[%rN+off]` or `[%rN-off]`.
        case invalidMemoryOperand
        /// A jump or call to a label that is never defined, or a malformed label.
        case invalidLabel
        /// The same label defined twice.
        case duplicateLabel
        /// An operand of the wrong form (`call` modes, lock operations).
        case invalidOperand
    }

    public var kind: Kind
    public var message: String
    /// The 1-based line of the source where the problem is.
    public var line: Int

    public init(_ kind: Kind, line: Int, _ message: String) {
        self.kind = kind
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}
