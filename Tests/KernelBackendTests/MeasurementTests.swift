import CtsimTesting
import KernelBackend
import Packets
import Testing

#if canImport(Glibc)
import Glibc
#endif

private func seconds(_ body: () throws -> Void) rethrows -> Double {
    var start = timespec()
    var end = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    try body()
    clock_gettime(CLOCK_MONOTONIC, &end)
    return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
}

@Suite("Figures of the live-kernel path")
struct MeasurementTests {
    @Test("setup, injection and dump times, printed", .needsKernel)
    func figures() throws {
        let namespaceTime = try seconds { try NetworkNamespace.withNamespace { _ in } }
        var topology: ForwardingTopology?
        let setupTime = try seconds { topology = try ForwardingTopology.create() }
        let router = try #require(topology)
        defer { try? router.tearDown() }

        let emptyDumpTime = try seconds { _ = try router.routerConntrack() }

        // 2000 distinct UDP flows, then 20000 frames of one flow.
        let client = IPAddress.v4(IPv4Address(198, 51, 100, 1))
        let server = IPAddress.v4(IPv4Address(192, 0, 2, 10))
        let flows = (0..<2000).map { i in
            CapturedPacket(
                number: i + 1, timestamp: Timestamp(nanoseconds: Int64(i)),
                data: HandBuiltFrames.frame(
                    HandBuiltFrames.udp(client, UInt16(20000 + i), server, 53, payload: [1, 2, 3, 4]), linkType: .ethernet))
        }
        let frame = HandBuiltFrames.frame(HandBuiltFrames.udp(client, 19999, server, 53, payload: [UInt8](repeating: 7, count: 64)), linkType: .ethernet)
        let repeated = (0..<20000).map { CapturedPacket(number: $0 + 1, timestamp: Timestamp(nanoseconds: Int64($0)), data: frame) }
        let injector = try router.makeInjector()
        let flowReport = try injector.inject(Capture(path: "flows", format: .init(container: .pcap, precision: .microseconds, bigEndian: false), linkType: .ethernet, snapshotLength: 65535, packets: flows))
        let repeatReport = try injector.inject(Capture(path: "repeat", format: .init(container: .pcap, precision: .microseconds, bigEndian: false), linkType: .ethernet, snapshotLength: 65535, packets: repeated))
        var entries: [KernelConntrackEntry] = []
        let fullDumpTime = try seconds { entries = try router.routerConntrack() }
        #expect(entries.count == 2001)
        let teardownTime = try seconds { try router.tearDown() }
        print(
            """
            ctsim kernel figures: namespace create+delete \(Int(namespaceTime * 1000)) ms; \
            topology setup \(Int(setupTime * 1000)) ms, teardown \(Int(teardownTime * 1000)) ms; \
            dump of an empty table \(String(format: "%.2f", emptyDumpTime * 1000)) ms, of \(entries.count) entries \(String(format: "%.2f", fullDumpTime * 1000)) ms; \
            injection: new flows \(Int(flowReport.framesPerSecond)) frames/s, one flow \(Int(repeatReport.framesPerSecond)) frames/s
            """)
    }
}

import Foundation
