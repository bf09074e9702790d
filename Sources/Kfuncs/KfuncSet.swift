import BPFObject

/// A kfunc set as the kernel registers it (`register_btf_kfunc_id_set`): functions with their
/// flags, the BTF describing their prototypes and the types they use, and the program types the
/// set is registered for.
///
/// ```swift
/// var b = BTFBuilder(extending: KernelTypes.btf)
/// let u64 = b.int("long long unsigned int", size: 8)
/// let proto = b.functionProto(returning: u64, parameters: [("x", u64)])
/// let f = b.function("my_double", proto: proto)
/// let set = KfuncSet(name: "mine", btf: b.btf, programTypes: [.xdp],
///                    functions: [KfuncDefinition(name: "my_double", flags: [], functionTypeID: f)])
/// ```
public struct KfuncSet: Sendable {
    public var name: String
    /// The BTF the prototypes and the kernel types (structs the kfuncs take and return) live in.
    public var btf: BTF
    public var programTypes: Set<ProgramType>
    public var functions: [KfuncDefinition]

    public init(name: String, btf: BTF, programTypes: Set<ProgramType>, functions: [KfuncDefinition]) {
        self.name = name
        self.btf = btf
        self.programTypes = programTypes
        self.functions = functions
    }

    /// The function named `name`, if this set has it.
    public func function(named name: String) -> KfuncDefinition? { functions.first { $0.name == name } }
}
