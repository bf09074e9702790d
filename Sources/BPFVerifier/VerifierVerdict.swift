/// The verifier's answer for one program, in the terms `ctsim verify --json` prints
/// (`../shared/contract.md`), and for an accepted program the program the VM runs.
public struct VerifierVerdict: Hashable, Sendable {
    public var accepted: Bool
    /// The line the kernel's verifier ends its log with for a rejected program; nil when accepted.
    public var error: String?
    /// `processed N insns`.
    public var processedInstructions: Int
    /// The log at the requested level, in the kernel's format.
    public var log: String
    /// The accepted program, decoded once, with what the verifier proved: what
    /// `BPFMachine.load(_:)` takes. nil when the program was rejected, or when the VM cannot run
    /// an accepted program (`decodingError` says why).
    public var program: VerifiedProgram?
    /// Why an accepted program could not be decoded for the VM (an encoding the kernel takes but
    /// the VM does not, e.g. `ld_imm64` of a BTF id).
    public var decodingError: DecodingError?

    public init(
        accepted: Bool, error: String?, processedInstructions: Int, log: String, program: VerifiedProgram? = nil,
        decodingError: DecodingError? = nil
    ) {
        self.accepted = accepted
        self.error = error
        self.processedInstructions = processedInstructions
        self.log = log
        self.program = program
        self.decodingError = decodingError
    }

    /// Verdicts are equal when they say the same; their programs compare by identity.
    public static func == (a: VerifierVerdict, b: VerifierVerdict) -> Bool {
        a.accepted == b.accepted && a.error == b.error && a.processedInstructions == b.processedInstructions && a.log == b.log
            && a.program === b.program && a.decodingError == b.decodingError
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(accepted)
        hasher.combine(error)
        hasher.combine(processedInstructions)
        hasher.combine(log)
    }
}
