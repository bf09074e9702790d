import BPFObject
import BPFVerifier
import Kfuncs

/// The one place replay and run ask the verifier (Sources/BPFVerifier) for its verdict.
public enum ProgramVerification {
    public static func verify(_ program: LoadedProgram, registry: KfuncRegistry, logLevel: Int = 1) -> VerifierVerdict {
        BPFVerifier.verify(program: program, kfuncs: registry, options: VerifierOptions(logLevel: logLevel))
    }
}
