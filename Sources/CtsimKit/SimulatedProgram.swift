import BPFObject
import ConntrackKfuncs
import Foundation
import Replay

/// An XDP program under test, run by the simulator: `SimulatedProgram<XDPVerdict>`.
public typealias XDPProgram = SimulatedProgram<XDPVerdict>
/// A TC (`sched_cls`) program under test, run by the simulator: `SimulatedProgram<TCVerdict>`.
public typealias TCProgram = SimulatedProgram<TCVerdict>

/// One program of a clang-built BPF object, verified like the kernel verifies it and loaded into
/// the simulator's VM with its maps, its global data and the conntrack kfuncs on a conntrack
/// model: what `ctsim replay` does, kept open between runs.
///
/// The session keeps its state: the conntrack table, the maps and the globals carry over from
/// one ``run(frame:at:)`` to the next, and the clock is the packets' timestamps.
///
/// ```swift
/// let firewall = try XDPProgram(object: "bpf/build/xdp_ct_firewall.bpf.o", kernel: .v6_18)
/// let results = firewall.run(traffic)
/// #expect(results.verdicts == [.pass, .pass, .pass])
/// #expect(firewall.globals.integer("created") == 1)
/// #expect(firewall.conntrack[web]?.mark == 1)
/// ```
public final class SimulatedProgram<Verdict: ProgramVerdict> {
    /// The program (function) name.
    public let name: String
    /// The object's file name.
    public let objectName: String
    public let kernel: KernelVersion
    /// The verifier's verdict (always accepted: a rejected program does not load).
    public let verification: Verification
    /// Record each packet's kfunc calls and conntrack events (on by default; off is faster).
    public var tracing = true
    /// Packets the program passes (``ProgramVerdict/passesPacket``) continue into the conntrack
    /// model as the stack's conntrack would see them after XDP/TC (like `ctsim replay --track`).
    /// Off by default: entries then exist only where the program's kfuncs create them.
    public var tracksPassedPackets = false
    /// Packets run so far.
    public internal(set) var packetsRun = 0
    let session: ProgramSession

    /// Loads, verifies and prepares `program` of the object at `path`.
    ///
    /// - Parameters:
    ///   - path: a BPF ELF object built by `clang -target bpf -O2 -g`.
    ///   - program: the program (function) name; may be left out when the object has one.
    ///   - kernel: the kernel whose conntrack kfunc ABI and types the program meets.
    ///   - sysctls: conntrack sysctls of the simulated namespace (`net.netfilter.nf_conntrack_*`).
    ///   - constants: integer values for global variables by name, set before load as a libbpf
    ///     skeleton sets `skel->rodata->name` (`const volatile` configuration in `.rodata`, or
    ///     initial `.data`/`.bss` values).
    ///   - hz: jiffies per second (`CONFIG_HZ`).
    /// - Throws: `CtsimKitError`: `.load` (unreadable object, no such program, a relocation that
    ///   fails), `.wrongProgramType`, `.badSetting`, or `.rejected` carrying the verifier's line.
    public convenience init(
        object path: String, program: String? = nil, kernel: KernelVersion = .current, sysctls: [String: String] = [:],
        constants: [String: UInt64] = [:], hz: Int = 250
    ) throws(CtsimKitError) {
        try self.init(
            objectBytes: try Self.read(path), named: path, program: program, kernel: kernel, sysctls: sysctls,
            constants: constants, hz: hz)
    }

    /// Loads, verifies and prepares `program` of an object already in memory (`named` is for messages).
    /// - Throws: as ``init(object:program:kernel:sysctls:constants:hz:)``.
    public init(
        objectBytes bytes: [UInt8], named objectName: String = "object", program: String? = nil,
        kernel: KernelVersion = .current,
        sysctls: [String: String] = [:], constants: [String: UInt64] = [:], hz: Int = 250
    ) throws(CtsimKitError) {
        var file = try Self.open(bytes, named: objectName)
        try Self.set(constants, in: &file, objectName: objectName)
        let model = ConntrackModel(
            sysctls: try ConntrackSimulation.settings(sysctls), hz: try ConntrackSimulation.checked(hz: hz))
        let session = try Self.load(file, program: program, kernel: kernel, model: model, objectName: objectName)
        let verification = Self.verify(session)
        guard verification.accepted else {
            let line = verification.error ?? "(no message)"
            throw CtsimKitError(
                .rejected, "rejected by the verifier: \(line)", location: "\(objectName): \(session.name)",
                verifierError: line)
        }
        self.session = session
        self.name = session.name
        self.objectName = objectName
        self.kernel = kernel
        self.verification = verification
    }

    /// The verifier's verdict on `program` of the object at `path`, without loading it for runs:
    /// a rejected program is an answer here, not an error.
    /// - Throws: `CtsimKitError` of kind `.load` or `.wrongProgramType`.
    public static func verify(object path: String, program: String? = nil, kernel: KernelVersion = .current)
        throws(CtsimKitError)
        -> Verification
    {
        let file = try open(try read(path), named: path)
        return verify(try load(file, program: program, kernel: kernel, model: ConntrackModel(), objectName: path))
    }

    /// The program type.
    public var kind: ProgramKind { Verdict.programKind }

    // MARK: Loading

    static func read(_ path: String) throws(CtsimKitError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CtsimKitError(.load, "cannot read the file", location: path)
        }
        return [UInt8](data)
    }

    static func open(_ bytes: [UInt8], named objectName: String) throws(CtsimKitError) -> BPFObjectFile {
        do {
            return try BPFObjectFile(bytes: bytes, fileName: objectName)
        } catch {
            throw CtsimKitError(.load, "\(error)", location: objectName)
        }
    }

    static func load(
        _ file: BPFObjectFile, program: String?, kernel: KernelVersion, model: ConntrackModel, objectName: String
    )
        throws(CtsimKitError) -> ProgramSession
    {
        if let program, let found = file.programs.first(where: { $0.name == program }) {
            try checkKind(found.type, program: program, objectName: objectName)
        } else if program == nil, file.programs.count == 1 {
            try checkKind(file.programs[0].type, program: file.programs[0].name, objectName: objectName)
        }
        do {
            return try ProgramSession(
                file: file, programName: program, profile: kernel.profile, model: model, verifierLogLevel: 1)
        } catch {
            throw CtsimKitError(
                .load,
                error.message.replacingOccurrences(of: "choose one with --program", with: "name one with program:"),
                location: objectName)
        }
    }

    static func checkKind(_ type: ProgramType, program: String, objectName: String) throws(CtsimKitError) {
        let kind: ProgramKind? = type == .xdp ? .xdp : type == .schedCLS ? .tc : nil
        guard kind == Verdict.programKind else {
            let wanted = Verdict.programKind == .xdp ? "XDPProgram" : "TCProgram"
            let actual =
                kind.map {
                    $0 == .xdp ? "an XDP program (load it as XDPProgram)" : "a TC program (load it as TCProgram)"
                } ?? "a \(type) program, which CtsimKit does not run"
            throw CtsimKitError(.wrongProgramType, "\(program) is \(actual), not a \(wanted)", location: objectName)
        }
    }

    static func verify(_ session: ProgramSession) -> Verification {
        let verdict = session.verification  // verified once, when the session loaded it
        return Verification(
            accepted: verdict.accepted, error: verdict.error, processedInstructions: verdict.processedInstructions,
            log: verdict.log)
    }

    /// Writes `constants` into the initial values of the object's global-data maps.
    static func set(_ constants: [String: UInt64], in file: inout BPFObjectFile, objectName: String)
        throws(CtsimKitError)
    {
        guard !constants.isEmpty else { return }
        guard let btf = file.btf else {
            throw CtsimKitError(.badSetting, "the object has no BTF to find globals by name", location: objectName)
        }
        for (name, value) in constants.sorted(by: { $0.key < $1.key }) {
            var done = false
            for index in file.maps.indices {
                guard let datasec = file.maps[index].valueTypeID, btf.contains(datasec),
                    btf[datasec].kind == .dataSection,
                    let variable = btf[datasec].variables.first(where: { btf[$0.type].name == name })
                else { continue }
                let offset = Int(variable.offset), size = Int(variable.size)
                guard size >= 1, size <= 8 else {
                    throw CtsimKitError(
                        .badSetting, "global \(name) is \(size) bytes: only integers up to 8 bytes can be set",
                        location: objectName)
                }
                guard
                    size == 8 || value >> UInt64(size * 8) == 0 || Int64(bitPattern: value) >> Int64(size * 8 - 1) == -1
                else {
                    throw CtsimKitError(
                        .badSetting, "global \(name): \(value) does not fit in \(size) bytes", location: objectName)
                }
                var bytes = file.maps[index].initialValue ?? [UInt8](repeating: 0, count: file.maps[index].valueSize)
                guard offset + size <= bytes.count else { continue }
                for i in 0..<size { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i)) }
                file.maps[index].initialValue = bytes
                done = true
            }
            guard done else {
                throw CtsimKitError(.badSetting, "no global variable named \(name)", location: objectName)
            }
        }
    }
}
