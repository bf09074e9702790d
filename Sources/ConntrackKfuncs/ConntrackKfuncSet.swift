import BPFObject
import Kfuncs

/// The kernel's conntrack kfunc sets (`nf_conntrack_bpf.c`, `nf_nat_bpf.c`) as `KfuncSet`s,
/// registered for XDP and SCHED_CLS, with the flags of `kernel-facts.md` §1.2.
public enum ConntrackKfuncSet {
    public static let programTypes: Set<ProgramType> = [.xdp, .schedCLS]

    static let flags: [String: KfuncFlags] = [
        "bpf_xdp_ct_alloc": [.acquire, .returnsNull], "bpf_xdp_ct_lookup": [.acquire, .returnsNull],
        "bpf_skb_ct_alloc": [.acquire, .returnsNull], "bpf_skb_ct_lookup": [.acquire, .returnsNull],
        "bpf_ct_insert_entry": [.acquire, .returnsNull, .release], "bpf_ct_release": [.release],
        "bpf_ct_set_timeout": [.trustedArgs], "bpf_ct_change_timeout": [.trustedArgs], "bpf_ct_set_status": [.trustedArgs],
        "bpf_ct_change_status": [.trustedArgs], "bpf_ct_set_nat_info": [.trustedArgs],
    ]

    /// The conntrack set and (6.1+) the NAT set of a kernel profile.
    public static func sets(profile: ConntrackKernelProfile = .current) -> [KfuncSet] {
        let (btf, ids) = ConntrackKernelTypes.build(profile: profile)
        func definitions(_ names: [String]) -> [KfuncDefinition] {
            names.compactMap { name in ids[name].map { KfuncDefinition(name: name, flags: flags[name] ?? [], functionTypeID: $0) } }
        }
        var sets = [
            KfuncSet(
                name: "nf_conntrack", btf: btf, programTypes: programTypes,
                functions: definitions(ConntrackKfuncNames.all.filter { $0 != "bpf_ct_set_nat_info" }))
        ]
        if profile.natInfo {
            sets.append(KfuncSet(name: "nf_nat", btf: btf, programTypes: programTypes, functions: definitions(["bpf_ct_set_nat_info"])))
        }
        return sets
    }

    /// A registry with the conntrack sets of `profile`.
    public static func registry(profile: ConntrackKernelProfile = .current) -> KfuncRegistry {
        KfuncRegistry(sets(profile: profile))
    }

    /// The BTF programs' CO-RE relocations resolve against (UAPI types plus the conntrack types).
    /// The `__kconfig` values a program of this kernel sees (`CONFIG_HZ` is 250 on the kernel
    /// ctsim models).
    public static let kconfig: [String: UInt64] = ["CONFIG_HZ": 250]

    /// How objects are loaded for this kernel: CO-RE against the set's BTF, kfuncs resolved
    /// there, and the kernel's `__kconfig` values. The verifier and the replay load alike.
    public static func loadOptions(profile: ConntrackKernelProfile = .current) -> LoadOptions {
        LoadOptions(target: targetBTF(profile: profile), kconfig: kconfig)
    }

    public static func targetBTF(profile: ConntrackKernelProfile = .current) -> BTF {
        ConntrackKernelTypes.build(profile: profile).btf
    }
}
