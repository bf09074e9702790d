import BPFVM
import Testing

@Suite struct VMErrorTests {
    @Test func descriptionNamesTheInstruction() {
        #expect(VMError(.memoryFault, at: 7, "load of 4 bytes outside every region").description
            == "instruction 7: load of 4 bytes outside every region")
    }
}
