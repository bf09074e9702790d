import BPFObject
import BPFVerifier
import CtsimTesting
import KernelBackend
import Testing

/// The simulator's helper tables against the live kernel: every helper id, called from an XDP
/// and a TC program with zeroed arguments, is refused as "cannot use helper" / "invalid func" by
/// both or by neither, with the same line.
@Suite struct HelperAvailabilityTests {
    static let types: [(ProgramType, KernelProgramType)] = [(.xdp, .xdp), (.schedCLS, .schedCls)]

    @Test(.needsKernel, arguments: [0, 1]) func everyHelperIDAsTheKernelSays(_ which: Int) throws {
        let (type, kernelType) = Self.types[which]
        var differences: [String] = []
        for id in 0..<(HelperAvailability.maximumID + 4) {
            var code: [Instruction] = (1...5).map { Instruction(opcode: 0xB7, destination: UInt8($0)) }
            code += [Instruction(opcode: 0x85, immediate: id), Instruction(opcode: 0xB7, destination: 0), Instruction(opcode: 0x95)]
            let kernel = try KernelProgramLoader.verify(slots: code.flatMap(\.bytes), type: kernelType)
            let ours = BPFVerifier.verify(program: LoadedProgram(name: "raw", type: type, instructions: code))
            func refusal(_ error: String?) -> String? {
                guard let error, error.contains("cannot use helper") || error.hasPrefix("invalid func") else { return nil }
                return error
            }
            if refusal(ours.error) != refusal(kernel.error) {
                differences.append("#\(id): ours \(ours.error ?? "accepted") | kernel \(kernel.error ?? "accepted")")
            }
        }
        #expect(differences.isEmpty, "\(kernelType):\n\(differences.joined(separator: "\n"))")
    }
}
