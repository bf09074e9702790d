import BPFObject
import Foundation
import Testing

@Suite struct ObjectLoadingTests {
    let file: BPFObjectFile

    init() throws { file = try BPFObjectFile(bytes: try Support.compiled("loader"), fileName: "loader.bpf.o") }

    @Test func programsAreFunctionsTypedBySection() {
        let programs = file.programs.map { "\($0.name) \($0.sectionName) \($0.type) \($0.convention.autoload)" }
        #expect(programs == ["prog_a xdp xdp true", "prog_b xdp xdp true", "prog_tc ?tc sched_cls false", "prog_tcx tcx/ingress sched_cls true"])
        #expect(file.program(named: "prog_tcx")?.convention.attach == "ingress")
        #expect(file.license == "GPL")
        #expect(!file.programs.contains { $0.name == "twice" || $0.name == "bump" })
    }

    @Test func mapsFromBTFAndGlobalData() throws {
        let counts = try #require(file.maps.first { $0.name == "counts" })
        #expect(counts.type == .hash && counts.keySize == 4 && counts.valueSize == 8 && counts.maxEntries == 64 && counts.flags == 1)
        let names = Set(file.maps.map(\.name))
        #expect(names.isSuperset(of: ["loader.bss", "loader.data", "loader.rodata"]))
        let data = try #require(file.maps.first { $0.name == "loader.data" })
        #expect(data.initialValue == [7, 0, 0, 0] && data.type == .array && data.maxEntries == 1)
        let rodata = try #require(file.maps.first { $0.name == "loader.rodata" })
        #expect(rodata.initialValue == [42, 0, 0, 0] && rodata.flags & 0x80 != 0)
        // DATASEC offsets come from the ELF symbols (clang leaves them 0).
        let btf = try #require(file.btf)
        let bss = try #require(btf.firstID(named: ".bss", kind: .dataSection))
        let offsets = Dictionary(uniqueKeysWithValues: btf[bss].variables.map { (btf[$0.type].name, Int($0.offset)) })
        for symbol in file.symbols where ["hits", "first_seen", "seen_flag"].contains(symbol.name) {
            #expect(offsets[symbol.name] == Int(symbol.value))
        }
        #expect(Set(offsets.values).count == 3)
    }

    @Test func internalMapNamesFollowLibbpf() {
        #expect(BPFObjectFile.internalMapName(objectName: "xdp_ct_firewall", section: ".bss") == "xdp_ct_f.bss")
        #expect(BPFObjectFile.internalMapName(objectName: "xdp_ct_firewall", section: ".kconfig") == "xdp_ct_.kconfig")
        #expect(BPFObjectFile.internalMapName(objectName: "x", section: ".rodata.str1.1") == ".rodata.str1.1")
    }

    @Test func linksSubprogramsAndRelocatesData() throws {
        let program = try file.load("prog_a", options: LoadOptions(kconfig: ["CONFIG_HZ": 250]))
        let insns = program.instructions
        // Every bpf-to-bpf call lands on a function start listed in func_info.
        let starts = Set(program.functions.map(\.instruction))
        #expect(program.functions.map(\.name).sorted() == ["bump", "prog_a", "twice"])
        var calls = 0
        for (i, insn) in insns.enumerated() where insn.opcode == 0x85 && insn.source == 1 {
            calls += 1
            #expect(starts.contains(i + 1 + Int(insn.immediate)))
        }
        #expect(calls >= 2)
        // Map references and map values name maps of the object.
        for (i, insn) in insns.enumerated() where insn.isWideLoad {
            #expect(insn.source == 5 || insn.source == 6)
            #expect(Int(insn.immediate) < program.maps.count)
            if insn.source == 6 { #expect(Int(insns[i + 1].immediate) < program.maps[Int(insn.immediate)].valueSize) }
        }
        let used = Set(program.usedMaps.map { program.maps[$0].name })
        #expect(used == ["counts", "loader.bss", "loader.data", "loader.rodata", "loader.kconfig"])
        let kconfig = try #require(program.maps.first { $0.name == "loader.kconfig" })
        #expect(kconfig.initialValue == [250, 0, 0, 0])
        // CO-RE: xdp_md___local resolves to xdp_md; the missing field does not exist.
        let ingress = try #require(program.coreRelocations.first { $0.kind == .fieldByteOffset && $0.typeName.contains("xdp_md___local") })
        #expect(ingress.localValue == 8 && ingress.targetValue == 12)
        let exists = try #require(program.coreRelocations.first { $0.kind == .fieldExists })
        #expect(exists.localValue == 1 && exists.targetValue == 0)
        #expect(!program.lineInfo.isEmpty)
    }

    @Test func missingKconfigIsAnError() {
        #expect(throws: BPFObjectError.self) { try file.load("prog_a") }
        #expect(throws: BPFObjectError.self) { try file.load("no_such_program") }
    }

    @Test(arguments: ["prog_b", "prog_tc", "prog_tcx"])
    func everyProgramLoads(name: String) throws {
        let program = try file.load(name, options: LoadOptions(kconfig: ["CONFIG_HZ": 100]))
        #expect(program.instructions.last?.opcode == 0x95 || program.instructions.contains { $0.opcode == 0x95 })
        #expect(program.functions.first?.instruction == 0 && program.functions.first?.name == name)
    }
}
