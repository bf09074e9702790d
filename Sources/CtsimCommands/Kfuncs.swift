import ArgumentParser
import BPFObject
import ConntrackKfuncs
import Kfuncs

/// `ctsim kfuncs [--type xdp|tc] [--kernel V] [--json]`: the registered kfunc sets.
struct KfuncsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kfuncs",
        abstract: "List the registered kfuncs with their flags and prototypes.",
        discussion: "The conntrack sets are registered for XDP and SCHED_CLS (tc) programs, per kernel ABI profile."
    )

    @Option(help: "Only the kfuncs programs of this type may call: xdp or tc.") var type: String?
    @Option(help: "Kernel ABI profile (6.0 ... 6.18; default 6.18).") var kernel: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let profile = try ReplaySupport.profile(kernel)
        let programType: ProgramType?
        switch type {
        case nil: programType = nil
        case "xdp": programType = .xdp
        case "tc", "sched_cls": programType = .schedCLS
        case let other?: throw CommandFailure(.badInput, "--type \(other): expected xdp or tc")
        }
        let registry = ConntrackKfuncSet.registry(profile: profile)
        let kfuncs = registry.kfuncs(for: programType)
        if json {
            Output.out(
                JSON.array(
                    kfuncs.map { k in
                        .object([
                            ("name", .string(k.name)), ("set", .string(k.kfuncSet.name)), ("flags", .array(flagNames(k.flags).map { .string($0) })),
                            ("prototype", .string(k.declaration)),
                            ("program_types", .array(k.kfuncSet.programTypes.map(\.name).sorted().map { .string($0) })),
                        ])
                    }
                ).serialized())
            return
        }
        Output.out("kernel \(profile.version): \(kfuncs.count) kfuncs" + (type.map { " for \($0)" } ?? ""))
        for k in kfuncs {
            Output.out("\(k.declaration)")
            Output.out("    set \(k.kfuncSet.name), flags \(k.flags), program types \(k.kfuncSet.programTypes.map(\.name).sorted().joined(separator: ", "))")
        }
    }

    func flagNames(_ flags: KfuncFlags) -> [String] {
        flags.description == "0" ? [] : flags.description.components(separatedBy: " | ")
    }
}
