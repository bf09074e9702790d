import Foundation
import Packets
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ctsim diff`: exit codes, differences, and cleanup of everything the kernel side creates.
@Suite("ctsim diff")
struct DiffTests {
    static let firewall = "bpf/build/xdp_ct_firewall.bpf.o"

    @Test("diff table: a snapshot of the live table agrees; each change is reported by field", .enabled(if: LiveKernel.available))
    func table() throws {
        try LiveKernel.withNamespace { namespace in
            try TableTests.populate(namespace)
            let live = try CLI.run(["table", "--live", "--json", "--netns", namespace])
            #expect(live.status == 0)
            let snapshot = try LiveKernel.temporaryFile(live.stdout)
            defer { unlink(snapshot) }
            let same = try CLI.run(["diff", "table", snapshot, "--netns", namespace, "--timeout-tolerance", "5"])
            #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
            #expect(same.stdout == "no differences\n")

            // Change the TCP entry's mark and state, drop the ICMP entry, add one the kernel lacks.
            var document = try #require(try JSONSerialization.jsonObject(with: Data(live.stdout.utf8)) as? [String: Any])
            var list = try #require(document["conntrack"] as? [[String: Any]])
            let tcpIndex = try #require(list.firstIndex { $0["protocol"] as? String == "tcp" })
            list[tcpIndex]["mark"] = 8
            list[tcpIndex]["state"] = "TIME_WAIT"
            var extra = list[tcpIndex]
            list.removeAll { $0["protocol"] as? String == "icmp" }
            extra["original"] = ["src": "198.51.100.9", "dst": "192.0.2.10", "sport": 1, "dport": 2]
            list.append(extra)
            document["conntrack"] = list
            let changed = try LiveKernel.temporaryFile(
                String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self))
            defer { unlink(changed) }
            let text = try CLI.run(["diff", "table", changed, "--netns", namespace])
            #expect(text.status == 1)
            let lines = text.stdout.split(separator: "\n").map(String.init)
            #expect(lines.last == "4 differences")
            #expect(lines.contains { $0.hasPrefix("entry ipv4 tcp src=198.51.100.1") && $0.contains(": mark: kernel 7, simulated 8") })
            #expect(lines.contains { $0.contains(": state: kernel \"ESTABLISHED\", simulated \"TIME_WAIT\"") })
            #expect(lines.contains { $0.hasPrefix("entry ipv4 icmp") && $0.hasSuffix("simulated (none)") })
            #expect(lines.contains { $0.hasPrefix("entry ipv4 tcp src=198.51.100.9") && $0.contains("kernel (none)") }, "\(text.stdout)")

            let json = try CLI.run(["diff", "table", changed, "--netns", namespace, "--json"])
            #expect(json.status == 1)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(report["mode"] as? String == "table")
            #expect(report["agree"] as? Bool == false)
            let differences = try #require(report["differences"] as? [[String: Any]])
            #expect(differences.count == 4)
            #expect(Set(differences.compactMap { $0["field"] as? String }) == ["mark", "state"])
        }
    }

    @Test("diff table: unreadable or malformed snapshots are bad input")
    func badSnapshots() throws {
        let missing = try CLI.run(["diff", "table", "/nonexistent/snapshot.json"])
        #expect(missing.status == 2)
        #expect(missing.stderrLines.count == 1)
        for text in ["{", "{\"conntrack\": 5}", "[{\"protocol\": \"tcp\"}]", "[1, 2]"] {
            let path = try LiveKernel.temporaryFile(text)
            defer { unlink(path) }
            let result = try CLI.run(["diff", "table", path])
            #expect(result.status == 2, "\(text)")
            #expect(result.stderrLines.count == 1)
            #expect(result.stderr.contains(path))
        }
    }

    @Test("diff verify/replay: bad objects and unknown programs are bad input")
    func badObjects() throws {
        let notELF = try LiveKernel.temporaryFile("not an ELF", suffix: ".o")
        defer { unlink(notELF) }
        for arguments in [
            ["diff", "verify", "/nonexistent.o"],
            ["diff", "verify", notELF],
            ["diff", "verify", Self.firewall, "--program", "no_such_program"],
            ["diff", "replay", Self.firewall, "Pcaps/icmp-echo.pcap", "--program", "no_such_program"],
            ["diff", "replay", Self.firewall, "/nonexistent.pcap"],
            ["diff", "track", "/nonexistent.pcap"],
        ] {
            let result = try CLI.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderrLines.count == 1, "\(arguments)")
        }
    }

    @Test("diff verify: the simulator's verifier and the kernel's agree on the example firewall", .enabled(if: LiveKernel.available))
    func verifyAgrees() throws {
        let (result, pid) = try Self.runRecordingPid(["diff", "verify", "bpf/build/xdp_ct_firewall.bpf.o", "--json"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("\"differences\""))
        #expect(LiveKernel.namespaces(of: pid).isEmpty)
    }

    @Test(
        "diff replay: the simulator and the kernel agree on the example firewall, nothing is left",
        .enabled(if: LiveKernel.available),
        arguments: ["Pcaps/tcp-handshake-close.pcap", "Pcaps/udp-request-reply.pcap", "Pcaps/ipv6.pcap"])
    func replayAgrees(capture: String) throws {
        let (result, pid) = try Self.runRecordingPid(["diff", "replay", "bpf/build/xdp_ct_firewall.bpf.o", capture])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("no differences"))
        #expect(LiveKernel.namespaces(of: pid).isEmpty)
    }

    @Test("a run that fails mid-way leaves no namespace behind", .enabled(if: LiveKernel.available))
    func cleanupAfterFailure() throws {
        // A 4000-byte datagram does not fit the veth's MTU: the injection fails with EMSGSIZE
        // after the topology is up.
        let path = NSTemporaryDirectory() + "ctsim-difftest-\(getpid())-oversize.pcap"
        defer { unlink(path) }
        let writer = try CaptureWriter(path: path, linkType: .ethernet)
        let packet = IPPacketBuilder(
            source: .v4(IPv4Address(198, 51, 100, 1)), destination: .v4(IPv4Address(192, 0, 2, 10)),
            transport: .udp(sourcePort: 1000, destinationPort: 2000, payload: [UInt8](repeating: 1, count: 4000))
        ).build()
        let mac = MACAddress(2, 0, 0, 0, 0, 1)
        try writer.write(FrameBuilder.ethernet(packet, source: mac, destination: mac), timestamp: Timestamp(seconds: 1))
        try writer.close()
        let (result, pid) = try Self.runRecordingPid(["diff", "track", path, "--pace", "top"])
        #expect(result.status == 3)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("EMSGSIZE"), "\(result.stderr)")
        #expect(LiveKernel.namespaces(of: pid).isEmpty)
    }

    @Test("diff track: the model agrees with the kernel on every sample", .enabled(if: LiveKernel.available), arguments: CLI.samples)
    func trackAgrees(sample: String) throws {
        let (result, pid) = try Self.runRecordingPid(["diff", "track", sample, "--json"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["agree"] as? Bool == true)
        #expect((report["differences"] as? [Any])?.isEmpty == true)
        let kernel = try #require(report["kernel"] as? [String: Any])
        let simulated = try #require(report["simulated"] as? [String: Any])
        let kernelTable = try #require(kernel["conntrack"] as? [[String: Any]])
        #expect(!kernelTable.isEmpty)
        #expect((simulated["conntrack"] as? [Any])?.count == kernelTable.count)
        #expect(LiveKernel.namespaces(of: pid).isEmpty)
    }

    @Test("diff track: a capture whose clock the top-speed replay ignores differs in its timeouts", .enabled(if: LiveKernel.available))
    func trackDiffers() throws {
        // A datagram, then another flow 20 s later: the model's first entry has 10 s left, the
        // kernel's (replayed at top speed) about 30.
        let path = NSTemporaryDirectory() + "ctsim-difftest-\(getpid())-gap.pcap"
        defer { unlink(path) }
        let writer = try CaptureWriter(path: path, linkType: .ethernet)
        let mac = MACAddress(2, 0, 0, 0, 0, 1)
        for (second, port) in [(1, UInt16(1000)), (21, 1001)] {
            let packet = IPPacketBuilder(
                source: .v4(IPv4Address(198, 51, 100, 1)), destination: .v4(IPv4Address(192, 0, 2, 10)),
                transport: .udp(sourcePort: port, destinationPort: 2000, payload: [1, 2, 3])
            ).build()
            try writer.write(FrameBuilder.ethernet(packet, source: mac, destination: mac), timestamp: Timestamp(seconds: Int64(second)))
        }
        try writer.close()
        let result = try CLI.run(["diff", "track", path, "--pace", "top"])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.last == "1 difference")
        #expect(lines.first?.hasPrefix("entry ipv4 udp src=198.51.100.1 dst=192.0.2.10 sport=1000 dport=2000: timeout: kernel ") == true)
        #expect(lines.first?.hasSuffix(", simulated 10") == true)
        // With timeouts not compared the two agree.
        let ignoring = try CLI.run(["diff", "track", path, "--pace", "top", "--ignore-timeouts"])
        #expect(ignoring.status == 0)
        #expect(ignoring.stdout == "no differences\n")
    }

    @Test("SIGTERM to 'ctsim diff track' mid-run: the process dies of it and its namespaces are gone", .enabled(if: LiveKernel.available))
    func cleanupOnSigterm() throws {
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["diff", "track", "Pcaps/icmp-echo.pcap", "--speedup", "0.5"]
        process.currentDirectoryURL = URL(fileURLWithPath: CLI.packageRoot)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        // Wait until the topology exists (three namespaces), then stop it mid-injection.
        var seen = 0
        for _ in 0..<400 {
            seen = LiveKernel.namespaces(of: pid).count
            if seen == 3 || !process.isRunning { break }
            usleep(25_000)
        }
        #expect(seen == 3)
        usleep(300_000)
        #expect(process.isRunning)
        kill(pid, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == SIGTERM)
        #expect(LiveKernel.namespaces(of: pid).isEmpty)
    }

    @Test(
        "without root: every kernel mode is exit 3 with one line saying what is missing",
        .enabled(if: LiveKernel.isRoot && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")),
        arguments: [
            (["diff", "verify", "bpf/build/xdp_ct_firewall.bpf.o"], "not running as root"),
            (["diff", "replay", "bpf/build/xdp_ct_firewall.bpf.o", "Pcaps/icmp-echo.pcap"], "not running as root"),
            (["diff", "track", "Pcaps/icmp-echo.pcap"], "not running as root"),
            (["table", "--live"], "CAP_NET_ADMIN"),
            (["bench", "kernel"], "needs root"),
        ])
    func withoutRoot(arguments: [String], missing: String) throws {
        let result = try CLI.run(arguments, as: "/usr/bin/setpriv", prefix: ["--reuid=65534", "--regid=65534", "--clear-groups"])
        #expect(result.status == 3, "\(arguments): \(result.stderr)")
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains(missing))
        #expect(result.stdout.isEmpty)
    }

    /// Runs ctsim and returns its result with its pid.
    static func runRecordingPid(_ arguments: [String]) throws -> (CLI.Result, Int32) {
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: CLI.packageRoot)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            CLI.Result(
                status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                stderr: String(decoding: errData, as: UTF8.self)),
            process.processIdentifier
        )
    }
}
