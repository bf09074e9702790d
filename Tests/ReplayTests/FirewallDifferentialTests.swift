import CtsimTesting
import Packets
import SampleCaptures
import Testing

/// The example firewall over every sample capture and 100 generated ones: the simulator against
/// BPF_PROG_TEST_RUN on the live kernel (`ExampleDifferential.compare`): same return value per
/// packet, same globals, same table.
@Suite struct FirewallDifferentialTests {
    @Test("firewall replay equals the kernel's test runs", .needsKernel, arguments: ReplayTestFiles.samples)
    func sample(_ name: String) throws {
        try KernelRequirement.require()
        try ExampleDifferential.compare(
            objectPath: ReplayTestFiles.firewall, capture: try Capture(contentsOf: ReplayTestFiles.sample(name)), label: name)
    }

    @Test("firewall replay equals the kernel's test runs on generated traffic", .needsKernel, arguments: 1...100)
    func generated(_ seed: Int) throws {
        try KernelRequirement.require()
        try ExampleDifferential.compare(
            objectPath: ReplayTestFiles.firewall, capture: TrafficGenerator.capture(seed: UInt64(seed)).sample.capture,
            label: "seed \(seed)")
    }
}
