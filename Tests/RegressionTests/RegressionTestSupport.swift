import Foundation
import Packets
import Regression
import Testing

/// Paths of the project's objects, samples and suite, and a private scratch directory per test.
enum RegressionFiles {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static var firewall: String { root + "/bpf/build/xdp_ct_firewall.bpf.o" }
    static var selftest: String { root + "/bpf/build/ct_selftest.bpf.o" }
    static func sample(_ name: String) -> String { root + "/Pcaps/" + name }
    static var examplesSuite: String { root + "/Suites/examples.yaml" }

    /// Fails the test (with a hint) when `make bpf` has not built the example objects.
    static func requireObjects() throws {
        for path in [firewall, selftest] {
            try #require(FileManager.default.fileExists(atPath: path), "\(path) is missing: run make bpf")
        }
    }
}

/// A directory unique to one test case (pid + UUID), removed when the value goes away.
final class ScratchDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "ctsim-regression-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` inside the directory and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: path + "/" + name, encoding: .utf8) }

    /// A capture of UDP datagrams (source, destination, sport, dport), one per second, as Ethernet frames.
    @discardableResult
    func udpCapture(_ name: String, _ datagrams: [(String, String, UInt16, UInt16)]) throws -> String {
        let file = path + "/" + name
        let writer = try CaptureWriter(path: file, linkType: .ethernet)
        for (i, d) in datagrams.enumerated() {
            let packet = IPPacketBuilder(
                source: .v4(IPv4Address(d.0)!), destination: .v4(IPv4Address(d.1)!),
                transport: .udp(sourcePort: d.2, destinationPort: d.3, payload: Array("query \(i)".utf8))
            ).build()
            let frame = FrameBuilder.ethernet(
                packet, source: MACAddress(2, 0, 0, 0, 0, 1), destination: MACAddress(2, 0, 0, 0, 0, 2))
            try writer.write(frame, timestamp: Timestamp(seconds: 1_000 + Int64(i)))
        }
        try writer.close()
        return file
    }

    /// A suite file of firewall cases over the given captures (absolute paths), one case each.
    @discardableResult
    func firewallSuite(_ name: String, cases: [(String, [String])], extra: String = "") throws -> String {
        var text = "defaults:\n  object: \(RegressionFiles.firewall)\ncases:\n"
        for (caseName, captures) in cases {
            text += "  - name: \(caseName)\n    captures: [\(captures.joined(separator: ", "))]\n"
        }
        return try write(name, text + extra)
    }
}
