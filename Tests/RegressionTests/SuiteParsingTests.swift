import ConntrackKfuncs
import Foundation
import Regression
import Testing

/// Suite files: a good one read as written (defaults merged, paths resolved), and every kind of
/// bad one refused with one line naming the file, the line and the case.
@Suite struct SuiteParsingTests {
    @Test func aGoodSuiteReadsAsWritten() throws {
        let dir = try ScratchDirectory()
        try dir.udpCapture("a.pcap", [("198.51.100.1", "192.0.2.10", 1000, 53)])
        try dir.udpCapture("b.pcap", [("198.51.100.1", "192.0.2.10", 1001, 53)])
        try FileManager.default.createDirectory(atPath: dir.path + "/obj", withIntermediateDirectories: true)
        try dir.write("obj/fw.o", "not an ELF, but the parser only needs the file to exist")
        let path = try dir.write(
            "my-suite.yml",
            """
            # comment
            defaults:
              object: obj/fw.o
              kernel: 6.5
              sysctls: {nf_conntrack_udp_timeout: 10, net.netfilter.nf_conntrack_tcp_loose: 0}
              options: {trace: false}
            cases:
              - name: one
                captures: a.pcap
              - name: two_2.x
                program: xdp_prog
                captures: [a.pcap, b.pcap]
                kernel: "6.18"
                sysctls:
                  nf_conntrack_udp_timeout: 20
                options:
                  track: yes
                  output: false
            """)
        let suite = try RegressionSuite.load(path: path)
        #expect(suite.name == "my-suite")
        #expect(suite.goldenDirectory == dir.path + "/my-suite.golden")
        #expect(suite.cases.map(\.name) == ["one", "two_2.x"])
        let one = suite.cases[0], two = suite.cases[1]
        #expect(one.line == 8 && two.line == 10)
        #expect(one.objectName == "obj/fw.o" && one.objectPath == dir.path + "/obj/fw.o")
        #expect(one.program == nil && two.program == "xdp_prog")
        #expect(one.captureNames == ["a.pcap"] && one.capturePaths == [dir.path + "/a.pcap"])
        #expect(two.capturePaths == [dir.path + "/a.pcap", dir.path + "/b.pcap"])
        #expect(one.kernel == .v6_3, "6.5 picks the newest profile not after it")
        #expect(two.kernel == .v6_18)
        #expect(
            one.sysctls.map { "\($0.name)=\($0.value)" } == [
                "nf_conntrack_udp_timeout=10", "net.netfilter.nf_conntrack_tcp_loose=0",
            ])
        #expect(
            two.sysctls.map { "\($0.name)=\($0.value)" } == [
                "net.netfilter.nf_conntrack_tcp_loose=0", "nf_conntrack_udp_timeout=20",
            ])
        #expect(one.options == CaseOptions(track: false, trace: false, output: true, verify: true))
        #expect(two.options == CaseOptions(track: true, trace: false, output: false, verify: true))
        #expect(suite.goldenPath(for: two) == dir.path + "/my-suite.golden/two_2.x.json")
    }

    @Test func nameAndGoldenDirectoryCanBeSet() throws {
        let dir = try ScratchDirectory()
        let capture = try dir.udpCapture("a.pcap", [("198.51.100.1", "192.0.2.10", 1000, 53)])
        let path = try dir.write(
            "s.yaml",
            "name: Firewall\ngolden: expected\ndefaults: {object: \(capture)}\ncases:\n  - {name: c, captures: a.pcap}\n"
        )
        let suite = try RegressionSuite.load(path: path)
        #expect(suite.name == "Firewall")
        #expect(suite.goldenDirectory == dir.path + "/expected")
    }

    /// (suite text, expected error line after the file name, expected kind).
    static let badSuites: [(String, String, RegressionError.Kind)] = [
        ("cases: [", ":2: not valid YAML", .unreadable),
        ("- a\n- b\n", ":1: expected a mapping with a 'cases' list", .malformed),
        ("defaults: {object: OBJ}\n", ":1: no 'cases' list", .malformed),
        ("cases: []\n", ":1: 'cases' is empty", .malformed),
        ("cases: {a: 1}\n", ":1: 'cases' must be a list", .malformed),
        (
            "colour: blue\ncases: []\n", ":1: unknown suite key 'colour' (known: name, golden, defaults, cases)",
            .malformed
        ),
        (
            "defaults: {object: OBJ}\ncases:\n  - name: c1\n    captures: CAP\n    capturez: CAP\n",
            ":5: case c1: unknown case key 'capturez' (known: name, object, program, captures, kernel, sysctls, options)",
            .malformed
        ),
        ("defaults: {name: x}\ncases: []\n", ":1: unknown defaults key 'name'", .malformed),
        ("cases:\n  - captures: CAP\n", ":2: case 1 has no 'name'", .malformed),
        ("cases:\n  - name: a b\n", ":2: case name 'a b' must be letters", .malformed),
        (
            "defaults: {object: OBJ, captures: CAP}\ncases:\n  - name: c\n  - name: c\n", ":4: a second case named 'c'",
            .malformed
        ),
        (
            "cases:\n  - name: c\n    captures: CAP\n", ":2: case c: no 'object' (in the case or in 'defaults')",
            .malformed
        ),
        (
            "cases:\n  - name: c\n    object: OBJ\n", ":2: case c: no 'captures' (in the case or in 'defaults')",
            .malformed
        ),
        (
            "cases:\n  - name: c\n    object: OBJ\n    captures: []\n",
            ":4: case c: 'captures' must be a path or a non-empty list", .malformed
        ),
        (
            "cases:\n  - name: c\n    object: [OBJ]\n    captures: CAP\n",
            ":3: case c: 'object' must be a single value", .malformed
        ),
        (
            "cases:\n  - name: c\n    object: nope.o\n    captures: CAP\n", ":3: case c: object nope.o: no such file",
            .missingFile
        ),
        (
            "cases:\n  - name: c\n    object: OBJ\n    captures: [CAP, gone.pcap]\n",
            ":4: case c: capture gone.pcap: no such file", .missingFile
        ),
        (
            "cases:\n  - name: c\n    object: OBJ\n    captures: CAP\n    kernel: \"5.15\"\n",
            ":5: case c: kernel '5.15': no conntrack kfunc profile (profiles: 6.0, 6.1, 6.3, 6.6, 6.11, 6.18)",
            .malformed
        ),
        (
            "cases:\n  - name: c\n    object: OBJ\n    captures: CAP\n    kernel: latest\n",
            ":5: case c: kernel 'latest': no conntrack", .malformed
        ),
        (
            "defaults: {object: OBJ, captures: CAP}\ncases:\n  - name: c\n    sysctls:\n      nf_conntrack_bogus: 1\n",
            ":5: case c: unknown sysctl 'nf_conntrack_bogus'", .malformed
        ),
        (
            "defaults: {object: OBJ, captures: CAP}\ncases:\n  - name: c\n    sysctls: {nf_conntrack_tcp_loose: -1}\n",
            ":4: case c: sysctl 'nf_conntrack_tcp_loose': '-1' is not a non-negative integer", .malformed
        ),
        (
            "defaults: {object: OBJ, captures: CAP}\ncases:\n  - name: c\n    sysctls: [a]\n",
            ":4: case c: 'sysctls' must be a mapping", .malformed
        ),
        (
            "defaults: {object: OBJ, captures: CAP}\ncases:\n  - name: c\n    options: {tracks: true}\n",
            ":4: case c: unknown options key 'tracks' (known: track, trace, output, verify)", .malformed
        ),
        (
            "defaults: {object: OBJ, captures: CAP}\ncases:\n  - name: c\n    options: {track: 3}\n",
            ":4: case c: option 'track' must be true or false", .malformed
        ),
        // Yams itself refuses a repeated key, at the mapping that repeats it.
        (
            "defaults: {object: OBJ, captures: CAP}\ncases:\n  - name: c\n    name: d\n", ":3: key 'name' given twice",
            .malformed
        ),
    ]

    @Test(arguments: badSuites.indices) func aBadSuiteIsOneLineNamingFileLineAndCase(_ index: Int) throws {
        let (template, expected, kind) = Self.badSuites[index]
        let dir = try ScratchDirectory()
        let capture = try dir.udpCapture("cap.pcap", [("198.51.100.1", "192.0.2.10", 1000, 53)])
        let text = template.replacingOccurrences(of: "OBJ", with: RegressionFiles.firewall).replacingOccurrences(
            of: "CAP", with: capture)
        let path = try dir.write("bad.yaml", text)
        #expect {
            _ = try RegressionSuite.load(path: path)
        } throws: { error in
            guard let error = error as? RegressionError else { return false }
            let line = error.description
            #expect(line.hasPrefix(path + expected), "got: \(line)")
            #expect(!line.contains("\n"), "one line: \(line)")
            #expect(error.kind == kind)
            return true
        }
    }

    @Test func anUnreadableSuiteFile() throws {
        let dir = try ScratchDirectory()
        #expect(throws: RegressionError(.unreadable, "cannot read the suite file", suite: dir.path + "/none.yaml")) {
            _ = try RegressionSuite.load(path: dir.path + "/none.yaml")
        }
    }
}
