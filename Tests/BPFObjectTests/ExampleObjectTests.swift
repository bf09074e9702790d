import BPFObject
import Foundation
import Testing

@Suite struct ExampleObjectTests {
    /// The project's firewall: one XDP program, its kfunc call sites by name, its .bss/.rodata maps,
    /// and CO-RE offsets into nf_conn that agree with `bpftool btf dump` of the running kernel.
    @Test func firewallLoadsAgainstTheHostBTF() throws {
        let objects = try Support.exampleObjects()
        let (name, bytes) = try #require(objects.first { $0.name == "xdp_ct_firewall.bpf.o" })
        let file = try BPFObjectFile(bytes: bytes, fileName: name)
        #expect(file.programs.map(\.name) == ["xdp_ct_firewall"] && file.programs[0].type == .xdp)
        #expect(Set(file.maps.map(\.name)).isSuperset(of: ["xdp_ct_f.bss", "xdp_ct_f.rodata"]))
        // The relocations' kfunc names are the object's ksym externs.
        let program = try file.load("xdp_ct_firewall")
        let kfuncExterns = Set(file.externs.filter { $0.kind == .kfunc }.map(\.name))
        #expect(Set(program.kfuncCalls.map(\.name)) == kfuncExterns)
        #expect(kfuncExterns.isSuperset(of: ["bpf_xdp_ct_lookup", "bpf_ct_release", "bpf_xdp_ct_alloc", "bpf_ct_insert_entry"]))
        for call in program.kfuncCalls {
            #expect(program.instructions[call.instruction].opcode == 0x85 && program.instructions[call.instruction].source == 2)
            #expect(call.prototype.map { program.btf![$0].kind } == .functionProto)
        }

        guard let host = Support.hostBTF, FileManager.default.isExecutableFile(atPath: "/usr/sbin/bpftool") else { return }
        let onHost = try file.load("xdp_ct_firewall", options: LoadOptions(target: host, resolveKfuncsInTarget: true))
        // bpftool's view of nf_conn: 'status' and 'mark' bit offsets.
        let dump = try Support.run("/usr/sbin/bpftool", ["btf", "dump", "file", "/sys/kernel/btf/vmlinux"]).output
        let lines = dump.split(separator: "\n")
        let start = try #require(lines.firstIndex { $0.contains("STRUCT 'nf_conn' size=") })
        func bitOffset(_ field: String) -> Int? {
            for line in lines[(start + 1)...] {
                guard line.hasPrefix("\t") else { break }
                if line.contains("'\(field)' "), let r = line.split(separator: " ").first(where: { $0.hasPrefix("bits_offset=") }) {
                    return Int(r.dropFirst("bits_offset=".count))
                }
            }
            return nil
        }
        let fields = onHost.coreRelocations.filter { $0.kind == .fieldByteOffset && $0.typeName.contains("nf_conn") }
        #expect(!fields.isEmpty)
        let expected = Set([bitOffset("status"), bitOffset("mark")].compactMap { $0.map { UInt64($0 / 8) } })
        #expect(expected.count == 2)
        for relocation in fields { #expect(relocation.targetValue.map { expected.contains($0) } == true, "\(relocation)") }
        for call in onHost.kfuncCalls {
            #expect(host.firstID(named: call.name, kind: .function) == UInt32(bitPattern: onHost.instructions[call.instruction].immediate))
        }
    }
}
