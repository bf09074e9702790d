import BPFObject
import BPFVerifier
import Kfuncs

/// The one place replay and run ask the verifier (Sources/BPFVerifier) for its verdict.
/// `ProgramSession` asks once and keeps the answer (`ProgramSession.verification`); an accepted
/// verdict carries the decoded program the session's VM runs.
public enum ProgramVerification {
    /// The verdict on `program` with the kfuncs of `registry`; `logLevel` 0 keeps no log (the
    /// error line is kept).
    public static func verify(_ program: LoadedProgram, registry: KfuncRegistry, logLevel: Int = 1) -> VerifierVerdict {
        BPFVerifier.verify(program: program, kfuncs: registry, options: VerifierOptions(logLevel: logLevel))
    }
}
