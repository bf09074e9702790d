import Foundation
import Regression
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// record, then check: deterministic goldens, readable diffs, --update, shards, jobs, JUnit.
@Suite struct RecordCheckTests {
    static let inside = ("198.51.100.1", "192.0.2.10", UInt16(1000), UInt16(53))
    static let outside = ("192.0.2.10", "198.51.100.1", UInt16(53), UInt16(2000))

    @Test func recordingTwiceGivesByteIdenticalGoldensAndCheckFindsNothing() throws {
        try RegressionFiles.requireObjects()
        let dir = try ScratchDirectory()
        let path = try dir.firewallSuite(
            "s.yaml",
            cases: [
                ("tcp", [RegressionFiles.sample("tcp-handshake-close.pcap")]),
                ("two", [RegressionFiles.sample("udp-request-reply.pcap"), RegressionFiles.sample("icmp-echo.pcap")]),
            ])
        let suite = try RegressionSuite.load(path: path)
        let recorded = try SuiteRunner.run(suite, cases: suite.cases, mode: .record)
        #expect(recorded.map(\.status) == [.written, .written])
        let first = try suite.cases.map { try dir.read("s.golden/\($0.name).json") }
        _ = try SuiteRunner.run(suite, cases: suite.cases, mode: .record, jobs: 2)
        let second = try suite.cases.map { try dir.read("s.golden/\($0.name).json") }
        #expect(first == second)
        let checked = try SuiteRunner.run(suite, cases: suite.cases, mode: .check)
        #expect(checked.map(\.status) == [.same, .same])
        #expect(checked.allSatisfy { $0.differences.isEmpty })
        #expect(
            SuiteReport.lines(checked, mode: .check) == [
                "ok       tcp", "ok       two", "2 cases: 2 same, 0 changed, 0 missing",
            ])

        // The golden holds what the replay did: 10 packets, the handshake's entry, the counters, a trace digest.
        let golden = try CaseResult.decode(first[0], path: "tcp.json", suite: path, caseName: "tcp")
        #expect(golden.program == "xdp_ct_firewall" && golden.type == "xdp" && golden.kernel == "6.18")
        #expect(golden.verifier == CaseResult.Verifier(accepted: true, error: nil))
        #expect(golden.packets.count == 10 && golden.packets.allSatisfy { $0.action == "XDP_PASS" && $0.retval == 2 })
        #expect(golden.conntrack.map(\.key) == ["ipv4 tcp src=198.51.100.1 dst=192.0.2.10 sport=40000 dport=80"])
        #expect(golden.globals["packets"] == .int(10) && golden.globals["created"] == .int(1))
        #expect(golden.trace.map { $0.sha256.count == 64 && $0.lines > 10 } == true)
        // Two captures: packets numbered per capture.
        let two = try CaseResult.decode(first[1], path: "two.json", suite: path, caseName: "two")
        #expect(two.captures.count == 2 && two.packets.first?.capture == 0 && two.packets.last?.capture == 1)
        #expect(two.packets.filter { $0.capture == 1 }.map(\.index) == Array(0..<6))
    }

    @Test func aCasePointedAtAnotherCaptureGivesTheExpectedDiff() throws {
        try RegressionFiles.requireObjects()
        let dir = try ScratchDirectory()
        let a = try dir.udpCapture("a.pcap", [Self.inside])
        let b = try dir.udpCapture("b.pcap", [Self.outside])
        let path = try dir.firewallSuite("s.yaml", cases: [("udp", [a])])
        let suite = try RegressionSuite.load(path: path)
        _ = try SuiteRunner.run(suite, cases: suite.cases, mode: .record)
        let golden = try CaseResult.decode(try dir.read("s.golden/udp.json"), path: "", suite: "", caseName: "")
        #expect(golden.packets.map(\.action) == ["XDP_PASS"])
        #expect(golden.conntrack.count == 1)

        let moved = try RegressionSuite.load(path: try dir.firewallSuite("s.yaml", cases: [("udp", [b])]))
        let outcome = try #require(try SuiteRunner.run(moved, cases: moved.cases, mode: .check).first)
        #expect(outcome.status == .changed)
        let entry = golden.conntrack[0]
        let expected = [
            "captures: \(a) -> \(b)",
            "packet 0: XDP_PASS (2) -> XDP_DROP (1)",
            "entry vanished: ipv4 udp src=198.51.100.1 dst=192.0.2.10 sport=1000 dport=53 (reply src=192.0.2.10 dst=198.51.100.1 sport=53 dport=1000, [\(entry.status.joined(separator: ","))], mark 1, timeout \(entry.timeout))",
            "global created: 1 -> 0",
            "global denied: 0 -> 1",
            "global dropped: 0 -> 1",
            "global passed: 1 -> 0",
        ]
        for line in expected {
            #expect(outcome.differences.contains(line), "\(line)\nin\n\(outcome.differences.joined(separator: "\n"))")
        }
        #expect(outcome.differences.last?.hasPrefix("trace: digest changed (") == true)
        // Nothing else changed but what these counters and the last kfunc result say.
        let others = outcome.differences.filter { !expected.contains($0) && !$0.hasPrefix("trace:") }
        #expect(others.allSatisfy { $0.hasPrefix("global last_") }, "\(others)")
    }

    @Test func anEditedGoldenGivesExactlyTheEditsAsDifferences() throws {
        try RegressionFiles.requireObjects()
        let dir = try ScratchDirectory()
        let path = try dir.firewallSuite("s.yaml", cases: [("udp", [RegressionFiles.sample("udp-request-reply.pcap")])])
        let suite = try RegressionSuite.load(path: path)
        _ = try SuiteRunner.run(suite, cases: suite.cases, mode: .record)
        let real = try CaseResult.decode(try dir.read("s.golden/udp.json"), path: "", suite: "", caseName: "")
        try #require(real.conntrack.count >= 2 && real.packets.count >= 3)

        var edited = real
        edited.packets[1].action = "XDP_DROP"
        edited.packets[1].retval = 1
        let removed = edited.conntrack.remove(at: 0)
        edited.conntrack[0].mark = 9
        edited.conntrack[0].state = "ESTABLISHED"
        edited.globals["passed"] = .int(1234)
        edited.globals["ghost"] = .int(1)
        edited.trace?.sha256 = String(repeating: "0", count: 64)
        edited.trace?.lines = 1
        try edited.encoded().write(toFile: suite.goldenPath(for: suite.cases[0]), atomically: true, encoding: .utf8)

        let outcome = try #require(try SuiteRunner.run(suite, cases: suite.cases, mode: .check).first)
        #expect(outcome.status == .changed)
        let kept = real.conntrack[1]
        let passed = real.globals["passed"]!
        #expect(
            outcome.differences == [
                "packet 1: XDP_DROP (1) -> XDP_PASS (2)",
                "entry \(kept.key): state ESTABLISHED -> none",
                "entry \(kept.key): mark 9 -> \(kept.mark)",
                "entry appeared: \(removed.key) (\(GoldenDiffText.summary(removed)))",
                "global ghost: vanished (was 1)",
                "global passed: 1234 -> \(passed)",
                "trace: digest changed (1 lines -> \(real.trace!.lines) lines, sha256 000000000000 -> \(real.trace!.sha256.prefix(12)))",
            ])
        let report = SuiteReport.lines([outcome], mode: .check)
        #expect(report.first == "CHANGED  udp (7 differences)")
        #expect(report[1] == "         packet 1: XDP_DROP (1) -> XDP_PASS (2)")
        #expect(report.last == "1 case: 0 same, 1 changed, 0 missing")

        // --update accepts: the golden is rewritten byte for byte as record writes it, and check passes.
        let updated = try SuiteRunner.run(suite, cases: suite.cases, mode: .update)
        #expect(updated.map(\.status) == [.written])
        #expect(try dir.read("s.golden/udp.json") == real.encoded())
        #expect(try SuiteRunner.run(suite, cases: suite.cases, mode: .check).map(\.status) == [.same])
    }

    @Test func aMissingGoldenIsReportedAndUpdateWritesIt() throws {
        try RegressionFiles.requireObjects()
        let dir = try ScratchDirectory()
        let path = try dir.firewallSuite("s.yaml", cases: [("icmp", [RegressionFiles.sample("icmp-echo.pcap")])])
        let suite = try RegressionSuite.load(path: path)
        let missing = try SuiteRunner.run(suite, cases: suite.cases, mode: .check)
        #expect(missing.map(\.status) == [.missing] && missing[0].failed)
        #expect(
            SuiteReport.lines(missing, mode: .check).first
                == "MISSING  icmp (no golden file \(dir.path)/s.golden/icmp.json)")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/s.golden/icmp.json"))
        _ = try SuiteRunner.run(suite, cases: suite.cases, mode: .update)
        #expect(try SuiteRunner.run(suite, cases: suite.cases, mode: .check).map(\.status) == [.same])
    }

    @Test func aCorruptGoldenIsBadInputNamingTheFile() throws {
        try RegressionFiles.requireObjects()
        let dir = try ScratchDirectory()
        let path = try dir.firewallSuite("s.yaml", cases: [("icmp", [RegressionFiles.sample("icmp-echo.pcap")])])
        let suite = try RegressionSuite.load(path: path)
        try FileManager.default.createDirectory(atPath: dir.path + "/s.golden", withIntermediateDirectories: true)
        try dir.write("s.golden/icmp.json", "{\"name\": \"icmp\"}")
        #expect {
            _ = try SuiteRunner.run(suite, cases: suite.cases, mode: .check)
        } throws: { error in
            let text = "\(error)"
            return (error as? RegressionError)?.kind == .golden
                && text.hasPrefix(
                    "\(path): case icmp: golden file \(dir.path)/s.golden/icmp.json is not a golden result: missing")
        }
    }

    /// A program changed between record and check: the diff names each packet whose verdict
    /// changed and the global that counts differently; a rejected program is recorded with the
    /// verifier's error and no packets.
    @Test func aChangedProgramGivesExactlyItsVerdictChanges() throws {
        let dir = try ScratchDirectory()
        let capture = try dir.udpCapture("a.pcap", [Self.inside, Self.outside, Self.inside])
        let source = """
            #include <ctsim/ctsim.h>
            __u64 seen = 0;
            SEC("xdp")
            int xdp_variant(struct xdp_md *ctx)
            {
            #ifdef UNCHECKED
                unsigned char *data = (void *)(long)ctx->data;
                if (data[23] == 17) return XDP_TX;
            #endif
                seen += STEP;
                return VERDICT;
            }
            CTSIM_LICENSE("GPL");
            """
        let object = dir.path + "/variant.bpf.o"
        try compile(source, to: object, in: dir, defines: ["VERDICT=XDP_PASS", "STEP=1"])
        let path = try dir.write("s.yaml", "cases:\n  - {name: variant, object: variant.bpf.o, captures: \(capture)}\n")
        let suite = try RegressionSuite.load(path: path)
        _ = try SuiteRunner.run(suite, cases: suite.cases, mode: .record)

        try compile(source, to: object, in: dir, defines: ["VERDICT=XDP_DROP", "STEP=2"])
        let changed = try #require(try SuiteRunner.run(suite, cases: suite.cases, mode: .check).first)
        #expect(
            changed.differences == [
                "packet 0: XDP_PASS (2) -> XDP_DROP (1)", "packet 1: XDP_PASS (2) -> XDP_DROP (1)",
                "packet 2: XDP_PASS (2) -> XDP_DROP (1)",
                "global seen: 3 -> 6",
            ])

        try compile(source, to: object, in: dir, defines: ["VERDICT=XDP_PASS", "STEP=1", "UNCHECKED"])
        let rejected = try #require(try SuiteRunner.run(suite, cases: suite.cases, mode: .check).first)
        #expect(!rejected.result.verifier.accepted && rejected.result.packets.isEmpty)
        let error = try #require(rejected.result.verifier.error)
        #expect(error == "R1 offset is outside of the packet", "the kernel's last line for an unchecked packet read")
        #expect(rejected.differences.first == "verifier: accepted -> rejected (\(error))")
        #expect(rejected.differences.contains("packets: 3 -> 0"))
        #expect(rejected.differences.contains("packet 1: XDP_PASS (2) -> absent"))
        #expect(rejected.differences.contains("global seen: 3 -> 0"))
    }

    private func compile(_ source: String, to object: String, in dir: ScratchDirectory, defines: [String]) throws {
        let clang = ["/opt/swift/usr/bin/clang", "/usr/bin/clang"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        let input = try dir.write("variant.bpf.c", source)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(clang, "no clang for the BPF target"))
        process.arguments =
            ["-target", "bpf", "-O2", "-g", "-I", RegressionFiles.root + "/bpf/include"] + defines.map { "-D" + $0 } + [
                "-c", input, "-o", object,
            ]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "clang: \(text)")
    }

    @Test func anUnloadableObjectIsBadInputNamingTheCase() throws {
        let dir = try ScratchDirectory()
        let capture = try dir.udpCapture("a.pcap", [Self.inside])
        let object = try dir.write("junk.o", "not an ELF file at all")
        let path = try dir.write("s.yaml", "cases:\n  - name: junk\n    object: junk.o\n    captures: \(capture)\n")
        let suite = try RegressionSuite.load(path: path)
        #expect(object.hasSuffix("junk.o"))
        #expect {
            _ = try SuiteRunner.run(suite, cases: suite.cases, mode: .check)
        } throws: { error in
            "\(error)".hasPrefix("\(path):2: case junk: object junk.o: ") && !"\(error)".contains("\n")
        }
    }

    @Test(arguments: [1, 2, 3, 5, 8]) func shardsPartitionTheSuite(_ count: Int) throws {
        let dir = try ScratchDirectory()
        let capture = try dir.udpCapture("a.pcap", [Self.inside])
        let names = (0..<7).map { "case-\($0)" }
        let path = try dir.firewallSuite("s.yaml", cases: names.map { ($0, [capture]) })
        let suite = try RegressionSuite.load(path: path)
        var seen: [String] = []
        var sizes: [Int] = []
        for index in 1...count {
            let shard = try #require(Shard(parsing: "\(index)/\(count)"))
            let picked = suite.selecting(shard: shard).map(\.name)
            #expect(picked == suite.selecting(shard: shard).map(\.name), "deterministic")
            seen += picked
            sizes.append(picked.count)
        }
        #expect(seen.sorted() == names.sorted(), "union is the suite, no overlap")
        #expect(Set(seen).count == seen.count)
        #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
        #expect(suite.selecting(shard: Shard(index: 1, count: 3)).map(\.name) == ["case-0", "case-3", "case-6"])
        #expect(suite.selecting(filter: "-1").map(\.name) == ["case-1"])
    }

    @Test(arguments: ["", "0/3", "4/3", "1/0", "a/b", "1/2/3", "-1/2", "1"]) func badShardsAreRefused(_ text: String) {
        #expect(Shard(parsing: text) == nil)
    }

    @Test func jobsGiveTheSameOutcomesInSuiteOrder() throws {
        try RegressionFiles.requireObjects()
        let dir = try ScratchDirectory()
        let samples = [
            "tcp-handshake-close.pcap", "tcp-rst.pcap", "udp-request-reply.pcap", "icmp-echo.pcap", "ipv6.pcap",
            "vlan.pcap",
        ]
        let path = try dir.firewallSuite(
            "s.yaml",
            cases: samples.map { ($0.replacingOccurrences(of: ".pcap", with: ""), [RegressionFiles.sample($0)]) })
        let suite = try RegressionSuite.load(path: path)
        let one = try SuiteRunner.run(suite, cases: suite.cases, mode: .check, jobs: 1)
        let four = try SuiteRunner.run(suite, cases: suite.cases, mode: .check, jobs: 4)
        #expect(one.map(\.regressionCase.name) == suite.cases.map(\.name))
        #expect(four.map(\.regressionCase.name) == suite.cases.map(\.name))
        #expect(one.map(\.result) == four.map(\.result))
        #expect(SuiteReport.lines(one, mode: .check) == SuiteReport.lines(four, mode: .check))
    }

    @Test func junitXMLParsesWithTheRightCounts() throws {
        try RegressionFiles.requireObjects()
        let dir = try ScratchDirectory()
        let path = try dir.firewallSuite(
            "s.yaml",
            cases: [
                ("same", [RegressionFiles.sample("icmp-echo.pcap")]),
                ("changed", [RegressionFiles.sample("tcp-rst.pcap")]),
                ("missing", [RegressionFiles.sample("vlan.pcap")]),
            ])
        let suite = try RegressionSuite.load(path: path)
        _ = try SuiteRunner.run(suite, cases: Array(suite.cases.prefix(2)), mode: .record)
        var golden = try CaseResult.decode(try dir.read("s.golden/changed.json"), path: "", suite: "", caseName: "")
        golden.globals["note <&> \"quoted\" 'x'"] = .int(-1)
        try golden.encoded().write(toFile: dir.path + "/s.golden/changed.json", atomically: true, encoding: .utf8)
        let outcomes = try SuiteRunner.run(suite, cases: suite.cases, mode: .check)
        #expect(outcomes.map(\.status) == [.same, .changed, .missing])
        let xml = JUnitReport.xml(suite: suite, outcomes: outcomes)

        let document = try XMLDocument(data: Data(xml.utf8))
        let root = try #require(document.rootElement())
        #expect(root.name == "testsuites")
        #expect(
            root.attribute(forName: "tests")?.stringValue == "3"
                && root.attribute(forName: "failures")?.stringValue == "2")
        let testsuite = try #require(root.elements(forName: "testsuite").first)
        #expect(testsuite.attribute(forName: "name")?.stringValue == "s")
        #expect(testsuite.attribute(forName: "tests")?.stringValue == "3")
        #expect(testsuite.attribute(forName: "failures")?.stringValue == "2")
        let cases = testsuite.elements(forName: "testcase")
        #expect(cases.map { $0.attribute(forName: "name")?.stringValue } == ["same", "changed", "missing"])
        #expect(cases[0].elements(forName: "failure").isEmpty)
        let failure = try #require(cases[1].elements(forName: "failure").first)
        #expect(failure.stringValue == outcomes[1].differences.joined(separator: "\n"))
        #expect(failure.stringValue?.contains("global note <&> \"quoted\" 'x': vanished (was -1)") == true)
        #expect(failure.attribute(forName: "message")?.stringValue?.hasPrefix("1 difference from ") == true)
        #expect(cases[2].elements(forName: "failure").first?.attribute(forName: "type")?.stringValue == "missing")
    }

    @Test func xmlEscaping() {
        #expect(JUnitReport.escape("a<b>&\"c\"'\n\u{1}") == "a&lt;b&gt;&amp;&quot;c&quot;&apos;&#10;?")
        #expect(JUnitReport.escape("x\ny", attribute: false) == "x\ny")
    }
}

/// The entry summary the diff prints, as the test expects it.
enum GoldenDiffText {
    static func summary(_ e: CaseResult.Entry) -> String {
        var parts: [String] = []
        if let state = e.state { parts.append(state) }
        parts.append("reply \(e.reply)")
        if !e.status.isEmpty { parts.append("[\(e.status.joined(separator: ","))]") }
        parts += ["mark \(e.mark)", "timeout \(e.timeout)"]
        return parts.joined(separator: ", ")
    }
}
