import BPFObject

/// The kfunc sets a (simulated) kernel offers. The verifier asks it whether a program type may
/// call a kfunc and for the kfunc's prototype and flags; the VM binds implementations to its names.
public struct KfuncRegistry: Sendable {
    public private(set) var sets: [KfuncSet] = []

    public init(_ sets: [KfuncSet] = []) {
        for set in sets { register(set) }
    }

    /// Adds a set (a later set with a function of the same name wins for the types it covers).
    public mutating func register(_ set: KfuncSet) { sets.append(set) }

    /// The kfunc `name` as a program of `type` sees it, or nil when no set registered for that
    /// type has it (the kernel's `calling kernel function NAME is not allowed`).
    public func kfunc(named name: String, for type: ProgramType) -> ResolvedKfunc? {
        for set in sets.reversed() where set.programTypes.contains(type) {
            if let definition = set.function(named: name) { return ResolvedKfunc(definition: definition, kfuncSet: set) }
        }
        return nil
    }

    /// The kfunc `name` in any set, whatever program types the set covers.
    public func kfunc(named name: String) -> ResolvedKfunc? {
        for set in sets.reversed() {
            if let definition = set.function(named: name) { return ResolvedKfunc(definition: definition, kfuncSet: set) }
        }
        return nil
    }

    /// Every kfunc callable from programs of `type` (every kfunc when nil), in registration order.
    public func kfuncs(for type: ProgramType? = nil) -> [ResolvedKfunc] {
        var seen = Set<String>()
        var result: [ResolvedKfunc] = []
        for set in sets where type.map({ set.programTypes.contains($0) }) ?? true {
            for definition in set.functions where seen.insert(definition.name).inserted {
                result.append(ResolvedKfunc(definition: definition, kfuncSet: set))
            }
        }
        return result
    }
}
