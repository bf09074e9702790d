import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `ctsim record` and `ctsim check` through the executable: exit codes, the readable diff,
/// --update, --shard, --jobs, --json and --junit.
@Suite struct RegressionCLITests {
    /// A private copy of a two-case firewall suite (absolute paths into the package).
    final class SuiteCopy {
        let directory: String
        let suite: String

        init(
            cases: [(String, String)] = [
                ("tcp", "tcp-handshake-close.pcap"), ("udp", "udp-request-reply.pcap"), ("icmp", "icmp-echo.pcap"),
            ]
        ) throws {
            directory = NSTemporaryDirectory() + "ctsim-regcli-\(getpid())-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            suite = directory + "/s.yaml"
            try Self.text(cases).write(toFile: suite, atomically: true, encoding: .utf8)
        }

        static func text(_ cases: [(String, String)]) -> String {
            var text = "defaults:\n  object: \(CLI.packageRoot)/bpf/build/xdp_ct_firewall.bpf.o\ncases:\n"
            for (name, sample) in cases {
                text += "  - name: \(name)\n    captures: \(CLI.packageRoot)/Pcaps/\(sample)\n"
            }
            return text
        }

        func rewrite(_ cases: [(String, String)]) throws {
            try Self.text(cases).write(toFile: suite, atomically: true, encoding: .utf8)
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }
    }

    @Test func theExamplesSuiteChecksCleanWithJSONAndJUnit() throws {
        let dir = try SuiteCopy()
        let junit = dir.directory + "/report.xml"
        let r = try CLI.run(["check", "Suites/examples.yaml", "--json", "--junit", junit, "--jobs", "2"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let cases = try #require(o["cases"] as? Int)
        #expect(cases >= 15 && o["same"] as? Int == cases && o["changed"] as? Int == 0 && o["missing"] as? Int == 0)
        #expect((o["results"] as? [[String: Any]])?.allSatisfy { $0["status"] as? String == "same" } == true)
        let document = try XMLDocument(data: try Data(contentsOf: URL(fileURLWithPath: junit)))
        let testsuite = try #require(document.rootElement()?.elements(forName: "testsuite").first)
        #expect(testsuite.attribute(forName: "name")?.stringValue == "examples")
        #expect(testsuite.attribute(forName: "tests")?.stringValue == String(cases))
        #expect(testsuite.attribute(forName: "failures")?.stringValue == "0")
        #expect(testsuite.elements(forName: "testcase").count == cases)
    }

    @Test func recordThenCheckThenAChangeThenUpdate() throws {
        let dir = try SuiteCopy()
        let missing = try CLI.run(["check", dir.suite])
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("MISSING  tcp (no golden file \(dir.directory)/s.golden/tcp.json)"))
        #expect(missing.stdout.hasSuffix("3 cases: 0 same, 0 changed, 3 missing\n"))

        let recorded = try CLI.run(["record", dir.suite])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(
            recorded.stdout
                == "recorded tcp -> \(dir.directory)/s.golden/tcp.json\nrecorded udp -> \(dir.directory)/s.golden/udp.json\nrecorded icmp -> \(dir.directory)/s.golden/icmp.json\n3 cases recorded\n"
        )
        let clean = try CLI.run(["check", dir.suite])
        #expect(
            clean.status == 0
                && clean.stdout == "ok       tcp\nok       udp\nok       icmp\n3 cases: 3 same, 0 changed, 0 missing\n",
            "\(clean.stdout)")

        // The udp case now replays the TCP capture: every difference is listed under it, exit 1.
        try dir.rewrite([
            ("tcp", "tcp-handshake-close.pcap"), ("udp", "tcp-handshake-close.pcap"), ("icmp", "icmp-echo.pcap"),
        ])
        let changed = try CLI.run(["check", dir.suite])
        #expect(changed.status == 1 && changed.stderr.isEmpty)
        let lines = changed.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "ok       tcp")
        #expect(lines.contains { $0.hasPrefix("CHANGED  udp (") && $0.hasSuffix(" differences)") })
        #expect(
            lines.contains(
                "         captures: \(CLI.packageRoot)/Pcaps/udp-request-reply.pcap -> \(CLI.packageRoot)/Pcaps/tcp-handshake-close.pcap"
            ))
        #expect(lines.contains("         packets: 3 -> 10"))
        #expect(lines.contains("         packet 3: absent -> XDP_PASS (2)"))
        #expect(lines.contains { $0.hasPrefix("         entry vanished: ipv4 udp src=198.51.100.1 dst=192.0.2.10 ") })
        #expect(
            lines.contains {
                $0.hasPrefix(
                    "         entry appeared: ipv4 tcp src=198.51.100.1 dst=192.0.2.10 sport=40000 dport=80 (NONE, reply src=192.0.2.10 "
                )
            })
        #expect(lines.contains("         global packets: 3 -> 10"))
        #expect(lines.contains { $0.hasPrefix("         trace: digest changed (") })
        #expect(lines.last == "3 cases: 2 same, 1 changed, 0 missing")

        // JUnit for the change: one failure holding the diff.
        let junit = dir.directory + "/junit.xml"
        #expect(try CLI.run(["check", dir.suite, "--junit", junit]).status == 1)
        let document = try XMLDocument(data: try Data(contentsOf: URL(fileURLWithPath: junit)))
        let failures = try document.nodes(forXPath: "//testcase/failure")
        #expect(failures.count == 1)
        #expect(failures.first?.stringValue?.contains("packets: 3 -> 10") == true)

        let update = try CLI.run(["check", "--update", dir.suite])
        #expect(update.status == 0, "\(update.stderr)")
        #expect(update.stdout.contains("updated  udp ("))
        #expect(update.stdout.hasSuffix("3 cases: 2 same, 1 updated\n"))
        #expect(try CLI.run(["check", dir.suite]).status == 0)
    }

    @Test func shardsAndJobs() throws {
        let dir = try SuiteCopy()
        #expect(try CLI.run(["record", dir.suite, "--jobs", "3"]).status == 0)
        let whole = try CLI.run(["check", dir.suite])
        let jobs = try CLI.run(["check", dir.suite, "--jobs", "3"])
        #expect(whole.status == 0 && jobs.status == 0)
        #expect(whole.stdout == jobs.stdout)
        let first = try CLI.run(["check", dir.suite, "--shard", "1/2"])
        let second = try CLI.run(["check", dir.suite, "--shard", "2/2"])
        #expect(first.stdout == "ok       tcp\nok       icmp\n2 cases: 2 same, 0 changed, 0 missing\n")
        #expect(second.stdout == "ok       udp\n1 case: 1 same, 0 changed, 0 missing\n")
        let filtered = try CLI.run(["check", dir.suite, "--filter", "cm"])
        #expect(filtered.stdout == "ok       icmp\n1 case: 1 same, 0 changed, 0 missing\n")
    }

    @Test(arguments: [
        (["check", "SUITE", "--shard", "3/2"], "--shard expects I/N with 1 <= I <= N, got '3/2'"),
        (["check", "SUITE", "--shard", "0/2"], "--shard expects I/N"),
        (["check", "SUITE", "--jobs", "0"], "--jobs must be between 1 and 256"),
        (["check", "DIR/none.yaml"], "DIR/none.yaml: cannot read the suite file"),
        (["record", "BAD"], "BAD:4: case udp: unknown case key 'capture' (known: "),
        (
            ["check", "SUITE", "--junit", "DIR/no/such/dir/x.xml"],
            "DIR/no/such/dir/x.xml: cannot write the JUnit report"
        ),
    ])
    func badInputIsOneLineAndExitTwo(_ arguments: [String], _ message: String) throws {
        let dir = try SuiteCopy()
        let bad = dir.directory + "/bad.yaml"
        try
            "defaults: {object: \(CLI.packageRoot)/bpf/build/xdp_ct_firewall.bpf.o}\ncases:\n  - name: udp\n    capture: x.pcap\n"
            .write(
                toFile: bad, atomically: true, encoding: .utf8)
        if arguments.contains("--junit") { #expect(try CLI.run(["record", dir.suite]).status == 0) }
        let resolved = arguments.map {
            $0.replacingOccurrences(of: "SUITE", with: dir.suite).replacingOccurrences(of: "BAD", with: bad)
                .replacingOccurrences(of: "DIR", with: dir.directory)
        }
        let expected = message.replacingOccurrences(of: "BAD", with: bad).replacingOccurrences(
            of: "DIR", with: dir.directory)
        let r = try CLI.run(resolved)
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderrLines.count == 1)
        #expect(r.stderr.hasPrefix("ctsim: " + expected), "\(r.stderr)")
    }

    @Test func aCorruptGoldenIsExitTwo() throws {
        let dir = try SuiteCopy(cases: [("icmp", "icmp-echo.pcap")])
        #expect(try CLI.run(["record", dir.suite]).status == 0)
        try "[1, 2".write(toFile: dir.directory + "/s.golden/icmp.json", atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", dir.suite])
        #expect(r.status == 2)
        #expect(
            r.stderr.hasPrefix(
                "ctsim: \(dir.suite): case icmp: golden file \(dir.directory)/s.golden/icmp.json is not a golden result: "
            ))
        #expect(r.stderrLines.count == 1)
    }
}
