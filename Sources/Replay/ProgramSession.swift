import BPFObject
import BPFVM
import BPFVerifier
import Conntrack
import ConntrackKfuncs
import Kfuncs
import Packets

/// What one run of the program did.
public struct RunOutcome: Sendable {
    /// r0, or nil when the run faulted (`fault` says why).
    public var returnValue: UInt64?
    public var fault: String?
    /// The packet as the program left it (data ... data_end).
    public var packet: [UInt8]
    /// Instructions executed.
    public var instructions: Int
}

/// A global variable after a run.
public struct GlobalVariable: Hashable, Sendable {
    public var name: String
    /// `.bss`, `.data`, `.rodata`, ...
    public var section: String
    public var value: GlobalValue
}

/// One program of an object loaded into a VM as the kernel would present it: its maps and global
/// data, the registered kfuncs bound to a conntrack model, the XDP or TC context.
public final class ProgramSession {
    public let loaded: LoadedProgram
    public let machine: BPFMachine
    public let program: VMProgram
    public let model: ConntrackModel
    public let binding: ConntrackKfuncBinding
    public let registry: KfuncRegistry
    /// The simulated verifier's verdict on the program (made once, when the session is created;
    /// without a log). When accepted, `program` runs the code the verifier decoded.
    public let verification: VerifierVerdict
    public let clock = ManualClock()
    public let xdpContext: XDPContext?
    public let skbContext: SkbContext?
    let contextAddress: UInt64

    /// Loads `programName` (the only program when nil) of `file`, verifying it once.
    /// - Parameters:
    ///   - verifierLogLevel: the log `verification` keeps (0: none, only the error line).
    ///   - jit: whether the program runs compiled (`MachineConfiguration.jit`) or interpreted.
    /// - Throws: `ReplayError` (.load, .unsupportedType).
    public init(
        file: BPFObjectFile, programName: String?, profile: ConntrackKernelProfile = .current, model: ConntrackModel = ConntrackModel(),
        verifierLogLevel: Int = 0, jit: Bool = MachineConfiguration.jitDefault
    ) throws(ReplayError) {
        let names = file.programs.map(\.name)
        let location = file.name
        let name: String
        if let programName {
            guard names.contains(programName) else {
                throw ReplayError(.load, "no program named \(programName) (programs: \(names.joined(separator: ", ")))", location: location)
            }
            name = programName
        } else {
            guard names.count == 1 else {
                throw ReplayError(
                    .load, names.isEmpty ? "no programs" : "several programs (\(names.joined(separator: ", "))): choose one with --program",
                    location: location)
            }
            name = names[0]
        }
        do {
            loaded = try file.load(
                name, options: ConntrackKfuncSet.loadOptions(profile: profile))
        } catch {
            throw ReplayError(.load, "\(error)", location: location)
        }
        var configuration = MachineConfiguration()
        switch loaded.type {
        case .xdp: configuration.programType = .xdp
        case .schedCLS: configuration.programType = .schedCLS
        default: throw ReplayError(.unsupportedType, "program \(name) is \(loaded.type); replay runs XDP and TC (sched_cls) programs", location: location)
        }
        configuration.hz = UInt64(model.hz)
        configuration.jit = jit
        machine = BPFMachine(configuration: configuration)
        machine.clock = clock
        self.model = model
        binding = ConntrackKfuncBinding(runtime: ConntrackKfuncRuntime(model: model, profile: profile))
        registry = ConntrackKfuncSet.registry(profile: profile)
        machine.kfuncs = KfuncTable(registry: registry, programType: loaded.type, implementations: binding.implementations())
        // Verified once: an accepted program runs as the verifier decoded it. A rejected one
        // (callers report `verification`) is still loaded as raw bytecode, decoded by the VM.
        verification = ProgramVerification.verify(loaded, registry: registry, logLevel: verifierLogLevel)
        do {
            for map in loaded.maps { try machine.createMap(map) }
            if let verified = verification.program {
                program = try machine.load(verified, name: name)
            } else {
                var names: [Int: String] = [:]
                for call in loaded.kfuncCalls { names[call.instruction] = call.name }
                program = try machine.load(loaded.instructions, name: name, options: BPFVM.LoadOptions(kfuncNames: names))
            }
        } catch {
            throw ReplayError(.load, "\(name): \(error)", location: location)
        }
        if loaded.type == .xdp {
            xdpContext = XDPContext()
            skbContext = nil
            machine.contextAccess = xdpContext
            machine.contextPacketFields = .xdp
        } else {
            xdpContext = nil
            skbContext = SkbContext()
            machine.contextAccess = skbContext
            machine.contextPacketFields = .skb
        }
        contextAddress = machine.setContext([], rewritten: true)
        model.advance(to: Timestamp(nanoseconds: 0))
    }

    public var name: String { loaded.name }
    public var type: BPFObject.ProgramType { loaded.type }

    /// The action name of a return value for this program's type.
    public func action(_ value: UInt64) -> String { type == .xdp ? ProgramAction.xdp(value) : ProgramAction.tc(value) }

    /// Runs the program once on `frame` (an Ethernet frame) at `nanoseconds` on the clock.
    public func run(frame: [UInt8], nanoseconds: Int64) -> RunOutcome {
        frame.withUnsafeBytes { run(bytes: $0, nanoseconds: nanoseconds, keepPacket: true) }
    }

    /// Runs the program once on the Ethernet frame in `bytes` at `nanoseconds` on the clock. The
    /// packet buffer, context and stack are reused from the previous run (reset to what a fresh
    /// run sees), so a run allocates nothing of its own.
    /// - Parameter keepPacket: copy the packet as the program left it into `RunOutcome.packet`
    ///   (else it stays empty; `lastPacket` still shows it until the next run).
    public func run(bytes: UnsafeRawBufferPointer, nanoseconds: Int64, keepPacket: Bool) -> RunOutcome {
        clock.nanoseconds = UInt64(max(nanoseconds, 0))
        model.advance(to: Timestamp(nanoseconds: nanoseconds))
        machine.setPacket(bytes)
        if let skb = skbContext {
            skb.prepare(bytes: bytes)
            skb.tstamp = 0
        }
        var outcome = RunOutcome(returnValue: nil, fault: nil, packet: [], instructions: 0)
        do {
            outcome.returnValue = try machine.run(program, r1: contextAddress)
        } catch {
            outcome.fault = "\(error)"
        }
        outcome.instructions = machine.executedInstructions
        binding.endRun(machine: machine)
        if keepPacket { outcome.packet = machine.packet?.bytes ?? [] }
        return outcome
    }

    /// The packet as the last run left it (data ... data_end), valid until the next run.
    public var lastPacket: UnsafeRawBufferPointer { machine.packet?.dataBytes ?? UnsafeRawBufferPointer(start: nil, count: 0) }

    /// The `.bss`, `.data` and `.rodata*` variables now, by BTF name.
    public var globals: [GlobalVariable] {
        guard let btf = loaded.btf else { return [] }
        var result: [GlobalVariable] = []
        for (index, definition) in loaded.maps.enumerated() {
            guard let dot = definition.name.firstIndex(of: ".") else { continue }
            let section = String(definition.name[dot...])
            guard section == ".bss" || section == ".data" || section.hasPrefix(".rodata") || section.hasPrefix(".data."),
                let datasec = definition.valueTypeID, index < machine.maps.count,
                let bytes = machine.maps[index].lookup(key: [0, 0, 0, 0])
            else { continue }
            for (name, value) in GlobalValue.variables(btf, section: datasec, bytes: bytes) {
                result.append(GlobalVariable(name: name, section: section, value: value))
            }
        }
        return result
    }
}
