import BPFObject
import Kfuncs

extension KfuncTable {
    /// The kfuncs a program of `programType` may call: every kfunc the registry offers for that
    /// type that has an implementation in `implementations` (by name). A call to anything else
    /// stays unresolved, so loading fails naming it.
    public init(registry: KfuncRegistry, programType: BPFObject.ProgramType, implementations: [String: HelperFunction]) {
        self.init()
        for kfunc in registry.kfuncs(for: programType) {
            guard let function = implementations[kfunc.name] else { continue }
            register(Kfunc(name: kfunc.name, function))
        }
    }

    /// The same from ready-made `Kfunc`s by name (their own names are replaced by the registry's).
    /// A `Kfunc` keeps its function as it is, so a call through the table reaches it directly
    /// (a closure taken out of a `[String: HelperFunction]` goes through a conversion thunk).
    public init(registry: KfuncRegistry, programType: BPFObject.ProgramType, implementations: [String: Kfunc]) {
        self.init()
        for kfunc in registry.kfuncs(for: programType) {
            guard var implementation = implementations[kfunc.name] else { continue }
            implementation.name = kfunc.name
            register(implementation)
        }
    }
}
