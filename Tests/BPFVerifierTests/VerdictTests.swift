import BPFVerifier
import Testing

@Suite struct VerdictTests {
    @Test func aRejectedVerdictKeepsItsErrorLine() {
        let verdict = VerifierVerdict(accepted: false, error: "R1 invalid mem access 'scalar'", processedInstructions: 3, log: "")
        #expect(!verdict.accepted && verdict.error == "R1 invalid mem access 'scalar'")
    }
}
