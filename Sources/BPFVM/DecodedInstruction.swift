import BPFVerifier

// The decoded form is emitted by the verifier's pre-decoder (`BPFVerifier.ProgramDecoder`), which
// the VM also runs itself for programs loaded without the verifier. The interpreter names it as
// its own. (`BPFVerifier.X` would name a member of the module's `BPFVerifier` enum, hence the
// path through `DecodedProgram`.)
typealias DecodedInstruction = DecodedProgram.Slot
typealias Op = DecodedProgram.Slot.Op
typealias ProgramDecoder = DecodedProgram.Decoder
