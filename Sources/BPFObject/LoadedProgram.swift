/// One program ready for a verifier or a VM: the entry function plus the `.text` subprograms it
/// reaches, relocated as libbpf would, with the object's maps, its kfunc call sites and its
/// func_info / line_info.
///
/// Encodings left in the instructions:
/// - map reference `ld_imm64`: src = 5 (`BPF_PSEUDO_MAP_IDX`), imm = index into `maps`;
/// - map value `ld_imm64` (global data, `.kconfig`): src = 6 (`BPF_PSEUDO_MAP_IDX_VALUE`),
///   imm = index into `maps`, second slot's imm = byte offset in the value;
/// - bpf-to-bpf call: src = 1, imm relative to the next instruction (`BPF_PSEUDO_CALL`);
/// - kfunc call: src = 2 (`BPF_PSEUDO_KFUNC_CALL`), imm = the kfunc's BTF id in the target BTF
///   when it was resolved there, else in the object's BTF; `kfuncCalls` names every site;
/// - a CO-RE relocation that found no target: libbpf's poison, `call 0xbad2310`.
public struct LoadedProgram: Sendable {
    public struct KfuncCall: Sendable, Hashable {
        public var instruction: Int
        public var name: String
        /// The FUNC_PROTO of the extern in the object's BTF (`btf`), if described.
        public var prototype: UInt32?
        public var isWeak: Bool
    }

    public struct FunctionInfo: Sendable, Hashable {
        public var instruction: Int
        public var name: String
        /// The FUNC type id in `btf`.
        public var typeID: UInt32
    }

    public struct CORERelocationResult: Sendable, Hashable {
        public var instruction: Int
        public var kind: BTFExt.CORERelocationKind
        public var typeName: String
        public var accessString: String
        public var localValue: UInt64
        /// nil: no target matched and the instruction was poisoned.
        public var targetValue: UInt64?
    }

    public var name: String
    public var type: ProgramType
    public var sectionName: String
    public var license: String
    public var instructions: [Instruction]
    /// Every map of the object (indices used by the `ld_imm64`s), and which of them this program uses.
    public var maps: [MapDefinition]
    public var usedMaps: [Int]
    public var kfuncCalls: [KfuncCall]
    public var functions: [FunctionInfo]
    public var lineInfo: [BTFExt.LineInfo]
    public var coreRelocations: [CORERelocationResult]
    /// The object's BTF (with DATASEC offsets fixed up), for prototypes and map value types.
    public var btf: BTF?

    /// The kfunc call at `instruction`, if any.
    public func kfuncCall(at instruction: Int) -> KfuncCall? { kfuncCalls.first { $0.instruction == instruction } }
}

/// What `load` needs from the kernel it pretends to be.
public struct LoadOptions: Sendable {
    /// The BTF CO-RE relocations resolve against: the host's vmlinux or a Swift-built one
    /// (`KernelTypes.btf`, extended by the kfunc sets).
    public var target: BTF
    /// Kconfig values for `__kconfig` externs (`CONFIG_HZ` → 250, `LINUX_KERNEL_VERSION`, y/m/n as 1/2/0).
    public var kconfig: [String: UInt64]
    /// When true, a kfunc must be a FUNC in `target` (a strong one missing is an error, a weak one
    /// becomes 0); when false, kfuncs are left for the kfunc registry to resolve by name.
    public var resolveKfuncsInTarget: Bool

    public init(target: BTF = KernelTypes.btf, kconfig: [String: UInt64] = [:], resolveKfuncsInTarget: Bool = false) {
        self.target = target
        self.kconfig = kconfig
        self.resolveKfuncsInTarget = resolveKfuncsInTarget
    }
}
