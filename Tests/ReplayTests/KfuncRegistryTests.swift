import BPFObject
import BPFVM
import ConntrackKfuncs
import Kfuncs
import Testing

@Suite struct KfuncRegistryTests {
    @Test func conntrackSetFlagsAndProgramTypes() throws {
        let registry = ConntrackKfuncSet.registry()
        #expect(registry.kfuncs(for: .xdp).map(\.name) == ConntrackKfuncNames.all)
        #expect(registry.kfuncs(for: .schedCLS).count == 11)
        #expect(registry.kfuncs(for: .socketFilter).isEmpty)
        #expect(registry.kfunc(named: "bpf_skb_ct_lookup", for: .schedACT) == nil)
        let insert = try #require(registry.kfunc(named: "bpf_ct_insert_entry", for: .xdp))
        #expect(insert.flags == [.acquire, .returnsNull, .release])
        #expect(try #require(registry.kfunc(named: "bpf_ct_release", for: .xdp)).flags == [.release])
        #expect(try #require(registry.kfunc(named: "bpf_xdp_ct_alloc", for: .schedCLS)).flags == [.acquire, .returnsNull])
        #expect(try #require(registry.kfunc(named: "bpf_ct_change_status", for: .xdp)).flags == [.trustedArgs])
    }

    @Test func prototypesFromTheSetsBTF() throws {
        let registry = ConntrackKfuncSet.registry()
        let lookup = try #require(registry.kfunc(named: "bpf_xdp_ct_lookup", for: .xdp))
        #expect(lookup.declaration
            == "struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *xdp_ctx, struct bpf_sock_tuple *bpf_tuple, u32 tuple__sz, struct bpf_ct_opts *opts, u32 opts__sz)")
        #expect(lookup.parameters.map(\.name) == ["xdp_ctx", "bpf_tuple", "tuple__sz", "opts", "opts__sz"])
        let alloc = try #require(registry.kfunc(named: "bpf_skb_ct_alloc"))
        #expect(alloc.btf.typeName(alloc.returnTypeID) == "struct nf_conn___init *")
        let setStatus = try #require(registry.kfunc(named: "bpf_ct_set_status"))
        #expect(setStatus.declaration == "int bpf_ct_set_status(const struct nf_conn___init *nfct, u32 status)")
        // nf_conn layout (6.18): mark at 168, status at 128, 248 bytes.
        let btf = lookup.btf
        let conn = try #require(btf.firstID(named: "nf_conn", kind: .structure))
        #expect(btf.size(of: conn) == 248)
        let mark = try #require(btf[conn].members.first { $0.name == "mark" })
        let status = try #require(btf[conn].members.first { $0.name == "status" })
        #expect(Int(mark.bitOffset) == 168 * 8)
        #expect(Int(status.bitOffset) == 128 * 8)
        #expect(btf.size(of: try #require(btf.firstID(named: "bpf_ct_opts", kind: .structure))) == 16)
    }

    @Test func profiles() throws {
        let old = ConntrackKfuncSet.registry(profile: .v6_0)
        #expect(old.kfunc(named: "bpf_ct_set_nat_info") == nil)
        #expect(old.kfuncs(for: .xdp).count == 10)
        let btf = ConntrackKfuncSet.targetBTF(profile: .v6_0)
        #expect(btf.size(of: try #require(btf.firstID(named: "bpf_ct_opts", kind: .structure))) == 12)
        #expect(ConntrackKernelProfile.named("6.5")?.version == "6.3")
        #expect(ConntrackKernelProfile.named("6.18") == .current)
        #expect(ConntrackKernelProfile.named("5.19") == nil)
    }

    @Test(arguments: ConntrackKernelProfile.all) func eachProfile(_ profile: ConntrackKernelProfile) throws {
        let registry = ConntrackKfuncSet.registry(profile: profile)
        #expect(registry.kfuncs(for: .xdp).count == (profile.natInfo ? 11 : 10))
        #expect(registry.kfuncs(for: .schedCLS).count == registry.kfuncs(for: .xdp).count)
        let btf = ConntrackKfuncSet.targetBTF(profile: profile)
        let opts = try #require(btf.firstID(named: "bpf_ct_opts", kind: .structure))
        #expect(btf.size(of: opts) == (profile.zones ? 16 : 12))
        #expect(btf[opts].members.contains { $0.name == "ct_zone_id" } == profile.zones)
        #expect(ConntrackKernelProfile.named(profile.version) == profile)
    }

    /// A user's own kfunc set, registered from Swift and called by a program in the VM.
    @Test func userKfuncSet() throws {
        var b = BTFBuilder(extending: KernelTypes.btf)
        let u64 = b.int("long long unsigned int", size: 8)
        let f = b.function("my_triple", proto: b.functionProto(returning: u64, parameters: [("x", u64)]))
        let set = KfuncSet(name: "mine", btf: b.btf, programTypes: [.xdp], functions: [KfuncDefinition(name: "my_triple", flags: [], functionTypeID: f)])
        var registry = ConntrackKfuncSet.registry()
        registry.register(set)
        #expect(registry.kfunc(named: "my_triple", for: .xdp)?.declaration == "long long unsigned int my_triple(long long unsigned int x)")
        #expect(registry.kfunc(named: "my_triple", for: .schedCLS) == nil)

        let program = try Assembler.assemble("mov %r1, 14\ncall 0\nadd %r0, 1\nexit")
        // `call 0` → a kfunc call (src 2) named my_triple.
        var instructions = program
        instructions[1] = Instruction(opcode: 0x85, source: 2, immediate: 0)
        let implementations: [String: HelperFunction] = ["my_triple": { call in .value(call.r1 * 3) }]
        let machine = BPFMachine()
        machine.kfuncs = KfuncTable(registry: registry, programType: .xdp, implementations: implementations)
        let loaded = try machine.load(instructions, options: BPFVM.LoadOptions(kfuncNames: [1: "my_triple"]))
        #expect(try machine.run(loaded) == 43)
        // Not registered for TC: the call does not resolve.
        let tc = BPFMachine()
        tc.kfuncs = KfuncTable(registry: registry, programType: .schedCLS, implementations: implementations)
        #expect(throws: VMError.self) { try tc.load(instructions, options: BPFVM.LoadOptions(kfuncNames: [1: "my_triple"])) }
    }
}
