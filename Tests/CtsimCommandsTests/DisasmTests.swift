import Foundation
import Testing

@Suite struct DisasmTests {
    @Test func firewallInKernelSyntaxWithSource() throws {
        let path = "bpf/build/xdp_ct_firewall.bpf.o"
        guard FileManager.default.fileExists(atPath: CLI.packageRoot + "/" + path) else {
            Issue.record("\(path) is missing: run make bpf")
            return
        }
        let result = try CLI.run(["disasm", path, "--program", "xdp_ct_firewall"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("xdp_ct_firewall: xdp section xdp, ") == true)
        #expect(lines.contains { $0.hasPrefix("0: (") })
        #expect(lines.contains { $0.contains(": (85) call bpf_xdp_ct_lookup#") })
        #expect(lines.contains { $0.hasPrefix("; ") && $0.contains("@ xdp_ct_firewall.bpf.c:") })
        #expect(lines.contains { $0.contains("= map[xdp_ct_f.bss][0]+") })
        #expect(lines.contains { $0.hasSuffix(": (95) exit") })
        #expect(lines.last?.first?.isNumber == true)
    }

    @Test func badObjectIsOneLineAndExit2() throws {
        let junk = NSTemporaryDirectory() + "ctsim-disasm-junk-\(getpid())-\(UUID().uuidString).o"
        try Data("not an object".utf8).write(to: URL(fileURLWithPath: junk))
        defer { try? FileManager.default.removeItem(atPath: junk) }
        let result = try CLI.run(["disasm", junk])
        #expect(result.status == 2)
        #expect(result.stderrLines.count == 1 && result.stderr.contains("not an ELF file"))
        let missing = try CLI.run(["disasm", "bpf/build/xdp_ct_firewall.bpf.o", "--program", "nope"])
        #expect(missing.status == 2 && missing.stderrLines.count == 1)
    }
}
