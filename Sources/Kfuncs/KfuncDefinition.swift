import BPFObject

/// One function of a kfunc set: its name, its flags and its prototype, a `FUNC` in the set's BTF
/// (whose `FUNC_PROTO` gives the return type and the named parameters, as the kernel's vmlinux
/// BTF does).
public struct KfuncDefinition: Hashable, Sendable {
    public var name: String
    public var flags: KfuncFlags
    /// The `FUNC` type id in the owning set's `btf`.
    public var functionTypeID: UInt32

    public init(name: String, flags: KfuncFlags, functionTypeID: UInt32) {
        self.name = name
        self.flags = flags
        self.functionTypeID = functionTypeID
    }
}

/// A kfunc definition with the BTF it lives in: what the verifier and the VM get from the registry.
public struct ResolvedKfunc: Sendable {
    public var definition: KfuncDefinition
    /// The set it belongs to (its name, BTF and program types).
    public var kfuncSet: KfuncSet

    public var name: String { definition.name }
    public var flags: KfuncFlags { definition.flags }
    public var btf: BTF { kfuncSet.btf }

    /// The `FUNC_PROTO` type id.
    public var prototypeTypeID: UInt32 { kfuncSet.btf[definition.functionTypeID].sizeOrType }
    /// The return type id (0 = void).
    public var returnTypeID: UInt32 { kfuncSet.btf[prototypeTypeID].sizeOrType }
    /// The parameters by name and type id, in order.
    public var parameters: [BTF.Parameter] { kfuncSet.btf[prototypeTypeID].parameters }

    /// The C declaration, e.g. `struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *xdp_ctx, ...)`.
    public var declaration: String {
        let btf = kfuncSet.btf
        func decl(_ type: UInt32, _ name: String) -> String {
            let t = btf.typeName(type)
            return t.hasSuffix("*") ? t + name : t + " " + name
        }
        let params = parameters.map { decl($0.type, $0.name) }.joined(separator: ", ")
        return decl(returnTypeID, name) + "(" + params + ")"
    }
}
