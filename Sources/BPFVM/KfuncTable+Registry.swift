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
}
