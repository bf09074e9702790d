import Foundation
import Testing

/// `ctsim verify`: the contract's text and JSON, exit codes 0/1/2.
@Suite struct VerifyCLITests {
    static let firewall = "bpf/build/xdp_ct_firewall.bpf.o"

    @Test func firewallIsAcceptedWithSummaryLine() throws {
        guard FileManager.default.fileExists(atPath: CLI.packageRoot + "/" + Self.firewall) else {
            Issue.record("\(Self.firewall) is missing: run make bpf")
            return
        }
        let result = try CLI.run(["verify", Self.firewall])
        #expect(result.status == 0, "\(result.stderr)")
        let last = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("processed ") && last.contains(" insns (limit 1000000) max_states_per_insn "))
        #expect(last.contains(" total_states ") && last.contains(" peak_states ") && last.hasSuffix(" mark_read 0"))

        let json = try CLI.run(["verify", Self.firewall, "--json", "--program", "xdp_ct_firewall"])
        #expect(json.status == 0)
        #expect(json.stdout.contains("\"program\": \"xdp_ct_firewall\""))
        #expect(json.stdout.contains("\"type\": \"xdp\""))
        #expect(json.stdout.contains("\"accepted\": true"))
        #expect(json.stdout.contains("\"error\": null"))
        #expect(json.stdout.contains("\"processed_insns\": "))
    }

    @Test func rejectedProgramExitsOneWithTheErrorLine() throws {
        let source = NSTemporaryDirectory() + "ctsim-verify-cli-\(getpid())-\(UUID().uuidString).c"
        let object = source + ".o"
        try Data(
            """
            #include <ctsim/ctsim.h>
            SEC("xdp") int unchecked(struct xdp_md *ctx) {
                unsigned char *data = (void *)(long)ctx->data;
                return data[12] == 8 ? XDP_PASS : XDP_DROP;
            }
            char _license[] SEC("license") = "GPL";
            """.utf8
        ).write(to: URL(fileURLWithPath: source))
        defer {
            try? FileManager.default.removeItem(atPath: source)
            try? FileManager.default.removeItem(atPath: object)
        }
        let clang = ["/opt/swift/usr/bin/clang", "/usr/bin/clang"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "clang"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: clang)
        process.arguments = ["-target", "bpf", "-O2", "-g", "-I", CLI.packageRoot + "/bpf/include", "-c", source, "-o", object]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        let text = try CLI.run(["verify", object])
        #expect(text.status == 1)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("invalid access to packet, off=12 size=1, R") })
        #expect(lines.contains { $0.hasSuffix(" offset is outside of the packet") })
        #expect(lines.last?.hasPrefix("processed ") == true)

        let json = try CLI.run(["verify", object, "--json"])
        #expect(json.status == 1)
        #expect(json.stdout.hasPrefix("["))
        #expect(json.stdout.contains("\"accepted\": false"))
        #expect(json.stdout.contains("offset is outside of the packet\""))
    }

    @Test func badInputIsExitTwo() throws {
        let missing = try CLI.run(["verify", "/nonexistent.bpf.o"])
        #expect(missing.status == 2 && missing.stderrLines.count == 1)
        let level = try CLI.run(["verify", Self.firewall, "--log-level", "7"])
        #expect(level.status == 2)
        let program = try CLI.run(["verify", Self.firewall, "--program", "nope"])
        #expect(program.status == 2 && program.stderr.contains("no program named nope"))
    }
}
