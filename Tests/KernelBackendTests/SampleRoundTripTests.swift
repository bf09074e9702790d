import CtsimTesting
import Foundation
import KernelBackend
import Packets
import SampleCaptures
import Testing

@Suite("The sample captures through the live kernel")
struct SampleRoundTripTests {
    @Test("every sample gives the kernel table it is known to give", .needsKernel, arguments: SampleCatalog.all.map(\.name))
    func sampleTable(_ name: String) throws {
        let expected = try #require(SampleKernelTables.expected[name], "no expected table for \(name)")
        let capture = try Capture(contentsOf: packageRootPath + "/Pcaps/" + name)
        try withForwardingTopology { topology in
            let report = try topology.makeInjector().inject(capture)
            #expect(report.sent == capture.packets.count)
            #expect(report.skipped.isEmpty)
            let lines = try topology.routerConntrack().map { $0.conntrackListLine() }
            let actual = lines.map(SampleKernelTables.split).sorted { $0.shape < $1.shape }
            let wanted = expected.map(SampleKernelTables.split).sorted { $0.shape < $1.shape }
            #expect(actual.map(\.shape) == wanted.map(\.shape), "kernel table:\n\(lines.joined(separator: "\n"))")
            for (got, want) in zip(actual, wanted) where got.shape == want.shape {
                #expect((want.timeout - 3...want.timeout).contains(got.timeout), "\(got.shape): timeout \(got.timeout)")
            }
        }
    }
}

let packageRootPath: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
