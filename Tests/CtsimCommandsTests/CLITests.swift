import Foundation
import Packets
import Testing

/// Runs the built `ctsim` executable, as scripts and acceptance checks do.
struct CLI {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The ctsim binary next to the test bundle (SwiftPM builds every product before testing).
    static let executable: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("ctsim")
            if FileManager.default.isExecutableFile(atPath: candidate.path),
                !candidate.hasDirectoryPath
            {
                return candidate
            }
            directory.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: packageRoot + "/.build/debug/ctsim")
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var stderrLines: [Substring] { stderr.split(separator: "\n") }
    }

    /// Runs ctsim with `arguments`; with a `launcher`, as `launcher prefix... ctsim arguments...`
    /// (e.g. setpriv to drop root).
    static func run(_ arguments: [String], launcher: String? = nil, prefix: [String] = []) throws -> Result {
        let process = Process()
        if let launcher {
            process.executableURL = URL(fileURLWithPath: launcher)
            process.arguments = prefix + [executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting, so a large output cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    static var samples: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: packageRoot + "/Pcaps")) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted().map { "Pcaps/" + $0 }
    }
}

@Suite struct CLITests {
    @Test func versionAndHelp() throws {
        let version = try CLI.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let help = try CLI.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("conntrack kfuncs"))
        #expect(help.stdout.contains("pcap-info"))
        #expect(help.stdout.contains("Summarise captures"))
        let sub = try CLI.run(["pcap-info", "--help"])
        #expect(sub.status == 0 && sub.stdout.contains("--json"))
    }

    @Test func pcapInfoHandlesEverySample() throws {
        let samples = CLI.samples
        #expect(samples.count >= 10)
        let result = try CLI.run(["pcap-info"] + samples)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        for sample in samples { #expect(result.stdout.contains(sample + "\n")) }
        #expect(!result.stdout.contains("malformed packet"))
    }

    @Test func pcapInfoJSONCountsPacketsProtocolsAndFlows() throws {
        let result = try CLI.run(["pcap-info", "--json", "Pcaps/tcp-handshake-close.pcap", "Pcaps/icmp-echo.pcap", "Pcaps/ipv6.pcap"])
        #expect(result.status == 0, "\(result.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let root = try #require(parsed as? [String: Any])
        let files = try #require(root["files"] as? [[String: Any]])
        #expect(files.count == 3)
        let tcp = files[0]
        #expect(tcp["packets"] as? Int == 10)
        #expect(tcp["flows"] as? Int == 1)
        #expect(tcp["format"] as? String == "pcap")
        #expect(tcp["timestamp_precision"] as? String == "us")
        #expect((tcp["link_type"] as? [String: Any])?["name"] as? String == "EN10MB")
        #expect(tcp["first_timestamp"] as? String == "2026-01-01T00:00:00.000000000Z")
        let tcpProtocols = try #require(tcp["protocols"] as? [String: [String: Int]])
        #expect(tcpProtocols["tcp"]?["packets"] == 10)
        let icmp = try #require(files[1]["protocols"] as? [String: [String: Int]])
        #expect(icmp["icmp"]?["packets"] == 5 && icmp["icmp"]?["flows"] == 1 && icmp["udp"]?["flows"] == 1)
        let v6 = files[2]
        #expect(v6["timestamp_precision"] as? String == "ns")
        #expect(v6["last_timestamp_ns"] as? Int == 1_767_225_600_353_001_123)
        #expect(v6["flows"] as? Int == 3)
    }

    @Test func aTruncatedCaptureIsOneLineAndExitTwo() throws {
        let directory = NSTemporaryDirectory() + "ctsim-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: CLI.packageRoot + "/Pcaps/tcp-handshake-close.pcap"))
        let truncated = directory + "/truncated.pcap"
        try bytes.prefix(bytes.count - 30).write(to: URL(fileURLWithPath: truncated))
        let result = try CLI.run(["pcap-info", truncated])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains(truncated + " (packet 10, byte offset "))
        #expect(result.stderr.contains("truncated"))

        let garbage = directory + "/random.bin"
        var rng = SystemRandomNumberGenerator()
        try Data((0..<5000).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: URL(fileURLWithPath: garbage))
        let bad = try CLI.run(["pcap-info", "--json", garbage])
        #expect(bad.status == 2)
        #expect(bad.stdout.isEmpty)
        #expect(bad.stderrLines.count == 1)
        #expect(bad.stderr.hasPrefix("ctsim: " + garbage + " (byte offset 0): not a pcap or pcapng capture"))
    }

    @Test func anUnsupportedLinkTypeIsCountedNotDissected() throws {
        let directory = NSTemporaryDirectory() + "ctsim-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/wifi.pcap"
        let writer = try CaptureWriter(path: path, linkType: LinkType(rawValue: 105))  // IEEE 802.11
        try writer.write([UInt8](repeating: 0xAB, count: 40), timestamp: Timestamp(seconds: 1))
        try writer.write([UInt8](repeating: 0xCD, count: 60), timestamp: Timestamp(seconds: 2))
        try writer.close()
        let result = try CLI.run(["pcap-info", "--json", path])
        #expect(result.status == 0)
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let file = try #require((parsed as? [String: Any])?["files"] as? [[String: Any]]).first
        #expect(file?["packets"] as? Int == 2)
        #expect(file?["bytes_on_wire"] as? Int == 100)
        #expect(file?["malformed"] as? Int == 0)
        #expect((file?["link_type"] as? [String: Any])?["dlt"] as? Int == 105)
        let protocols = file?["protocols"] as? [String: [String: Int]]
        #expect(protocols?["unsupported-link"]?["packets"] == 2)
    }

    @Test(arguments: [
        ["pcap-info"], ["pcap-info", "--no-such-flag", "Pcaps/vlan.pcap"], ["no-such-command"],
        ["pcap-info", "/nonexistent/file.pcap"], ["pcap-info", "Pcaps"],
    ])
    func badInvocationsExitTwoWithOneLine(_ arguments: [String]) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 2)
        #expect(result.stderrLines.count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("ctsim: "))
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("backtrace"))
    }
}
