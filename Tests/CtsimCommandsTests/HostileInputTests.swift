import Foundation
import Testing

@testable import CtsimCommands

#if canImport(Glibc)
    import Glibc
#endif

/// The contract's bad-input rule, from a hostile user's side: each case here once gave a crash,
/// a hang, a multi-line error or destroyed a file it should have written through.
@Suite struct HostileInputTests {
    /// A fresh directory for one test case (parameterised cases run in parallel).
    static func scratch(_ tag: String) throws -> String {
        let directory = NSTemporaryDirectory() + "ctsim-hostile-\(tag)-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Control characters in a bad input are escaped: the error stays one line.
    @Test(arguments: ["\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{1B}[2J"])
    func aSysctlFileWithLineBreaksGivesOneLine(_ separator: String) throws {
        let directory = try Self.scratch("sysctl")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/sysctl.conf"
        try Data("garbage\(separator)more garbage\n".utf8).write(to: URL(fileURLWithPath: file))
        let result = try CLI.run(["track", "Pcaps/icmp-echo.pcap", "--sysctl-file", file])
        #expect(result.status == 2)
        let lines = result.stderr.split(whereSeparator: \.isNewline)
        #expect(lines.count == 1, "stderr: \(result.stderr.debugDescription)")
        #expect(!result.stderr.contains("\u{1B}"))
    }

    /// A 100,000-character word on the plugin's stdin is named, not echoed whole.
    @Test func aHugeHexWordIsCutInTheMessage() throws {
        let directory = try Self.scratch("plugin")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let program = directory + "/program.hex"
        try Data(String(repeating: "9", count: 100_000).utf8).write(to: URL(fileURLWithPath: program))
        let result = try CLI.run(["plugin"], launcher: "/bin/sh", prefix: ["-c", "exec \"$0\" \"$@\" < \(program)"])
        #expect(result.status == 2)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.utf8.count < 200, "stderr is \(result.stderr.utf8.count) bytes")
        #expect(result.stderr.contains("is not a hex byte"))
    }

    @Test func stderrLinesAreCutAndEscaped() {
        #expect(StderrLine.sanitized("a\nb\rc\td") == "a\\nb\\rc\td")
        #expect(StderrLine.sanitized("\u{1B}[0m") == "\\u{1b}[0m")
        let long = StderrLine.sanitized(String(repeating: "x", count: 100_000))
        #expect(long.count == StderrLine.limit + 3)
        #expect(long.hasSuffix("..."))
    }

    /// `diff table /dev/zero` read until a 35 GB allocation trapped; the read is now bounded.
    @Test func anEndlessSnapshotIsRefusedNotAllocated() throws {
        #expect(throws: (any Error).self) { _ = try readFile("/dev/zero", limit: 1 << 20) }
        let small = try Self.scratch("read")
        defer { try? FileManager.default.removeItem(atPath: small) }
        try Data("[]".utf8).write(to: URL(fileURLWithPath: small + "/s.json"))
        #expect(try readFile(small + "/s.json", limit: 1 << 20) == Array("[]".utf8))
    }

    /// A --speedup so small that one capture gap slept for centuries is refused up front.
    @Test(arguments: ["0.001", "1e-300", "0.0099"])
    func aTinySpeedupIsRefused(_ speedup: String) throws {
        let result = try CLI.run(["diff", "track", "Pcaps/icmp-echo.pcap", "--speedup", speedup])
        #expect(result.status == 2)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("--speedup must be at least 0.01"))
    }

    /// --junit and --data-out write through what the path names, as a shell's `>` does. They
    /// used to write a temporary file and rename it over the path: as root,
    /// `--junit /dev/null` replaced /dev/null with a regular file. A symlink shows the same
    /// without root: it must stay a symlink, and its target must get the bytes.
    @Test(arguments: ["junit", "data-out"])
    func outputFilesAreWrittenThroughNotReplaced(_ option: String) throws {
        let directory = try Self.scratch("out")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let target = directory + "/target"
        let link = directory + "/link"
        try Data().write(to: URL(fileURLWithPath: target))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let result: CLI.Result
        if option == "junit" {
            result = try CLI.run(["check", "Suites/examples.yaml", "--filter", "firewall-icmp-echo", "--junit", link])
            #expect(result.status == 0 || result.status == 1)
        } else {
            let frame = directory + "/frame"
            try Data([UInt8](repeating: 0xAB, count: 60)).write(to: URL(fileURLWithPath: frame))
            result = try CLI.run([
                "run", "bpf/build/xdp_ct_firewall.bpf.o", "--data-in", frame, "--data-out", link,
            ])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let kind = try FileManager.default.attributesOfItem(atPath: link)[.type] as? FileAttributeType
        #expect(kind == .typeSymbolicLink)
        let written = try Data(contentsOf: URL(fileURLWithPath: target))
        #expect(!written.isEmpty)
        if option == "junit" { #expect(String(decoding: written, as: UTF8.self).contains("<testsuite")) }
    }

    /// An output path that cannot be opened is exit 2 with the errno text.
    @Test func anUnwritableOutputIsOneLine() throws {
        let result = try CLI.run([
            "check", "Suites/examples.yaml", "--filter", "firewall-icmp-echo", "--junit", "/nonexistent-dir/x.xml",
        ])
        #expect(result.status == 2)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("No such file or directory"))
    }
}

/// An object whose BTF is out of range in one field, made from a built example.
enum HostileObject {
    static func u32(_ b: [UInt8], _ o: Int) -> Int {
        Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24
    }
    static func u16(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
    static func u64(_ b: [UInt8], _ o: Int) -> Int { u32(b, o) | u32(b, o + 4) << 32 }

    /// `object` with the first BTF FUNC's prototype id set to 0xffffff (far past the last type).
    static func funcPointingNowhere(_ object: [UInt8]) -> [UInt8]? {
        var b = object
        let shoff = u64(b, 0x28), entsize = u16(b, 0x3A), count = u16(b, 0x3C), names = u16(b, 0x3E)
        let namesOffset = u64(b, shoff + names * entsize + 24)
        for index in 0..<count {
            let header = shoff + index * entsize
            let nameStart = namesOffset + u32(b, header)
            guard Array(b[nameStart..<nameStart + 5]) == Array(".BTF\0".utf8) else { continue }
            let base = u64(b, header + 24)
            var at = base + u32(b, base + 4) + u32(b, base + 8)
            let end = at + u32(b, base + 12)
            while at < end {
                let info = u32(b, at + 4), kind = (info >> 24) & 0x1F, vlen = info & 0xFFFF
                if kind == 12 {
                    b[at + 8] = 0xFF
                    b[at + 9] = 0xFF
                    b[at + 10] = 0xFF
                    b[at + 11] = 0
                    return b
                }
                let extra: [Int: Int] = [
                    1: 4, 3: 12, 4: 12 * vlen, 5: 12 * vlen, 6: 8 * vlen, 13: 8 * vlen, 14: 4, 15: 12 * vlen, 17: 4,
                    19: 12 * vlen,
                ]
                at += 12 + (extra[kind] ?? 0)
            }
        }
        return nil
    }
}

extension HostileInputTests {
    /// libbpf 1.1 dereferenced the out-of-range type (SIGSEGV, a Swift crash report on stderr);
    /// the object is now read by the simulator's loader first: exit 2, one line, before any
    /// privilege or kernel check.
    @Test(arguments: [["diff", "verify"], ["diff", "replay"]])
    func aBTFTypeOutOfRangeNeverReachesLibbpf(_ command: [String]) throws {
        let directory = try Self.scratch("btf")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let original = [UInt8](
            try Data(contentsOf: URL(fileURLWithPath: CLI.packageRoot + "/bpf/build/xdp_syn_guard.bpf.o")))
        let mutated = try #require(HostileObject.funcPointingNowhere(original))
        let path = directory + "/hostile.bpf.o"
        try Data(mutated).write(to: URL(fileURLWithPath: path))
        let arguments = command + [path] + (command[1] == "replay" ? ["Pcaps/icmp-echo.pcap"] : [])
        let result = try CLI.run(arguments)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("refers to type 16777215"))
    }
}
