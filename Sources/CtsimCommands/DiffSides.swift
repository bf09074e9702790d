import BPFObject
import Conntrack
import ConntrackKfuncs
import Foundation
import KernelBackend
import Packets
import Replay

/// The simulator's side of `ctsim diff`, answering in the contract's JSON. Each mode says here
/// whether the simulator can answer yet; until the stage exists it throws exit 3 with one line
/// saying so (never a made-up answer).
enum DiffSimulator {
    /// `ctsim track --json`'s `conntrack` list for `capture`: the conntrack model with the
    /// sysctls of a fresh namespace, on the capture's clock (as `ctsim track` runs it).
    static func track(_ capture: Capture) throws -> [JSON] {
        let model = ConntrackModel()
        for packet in capture.packets {
            _ = packet.data.withUnsafeBytes { model.process(frame: $0, linkType: capture.linkType, timestamp: packet.timestamp) }
        }
        model.sweep()
        return model.entries.map { $0.json(now: model.now, hz: model.hz) }
    }

    /// `ctsim verify --json` objects for the programs of `path`.
    static func verify(path: String, program: String?) throws -> [JSON] {
        try Verify.verify(path: path, program: program, logLevel: 1).map { Verify.json($0.loaded, $0.verdict) }
    }

    /// `ctsim replay --json` for `program` of `path` over `capture`.
    static func replay(path: String, program: String?, capture: Capture) throws -> JSON {
        let session = try ReplaySupport.session(path: path, program: program, profile: .current)
        try ReplaySupport.verify(session)
        return ReplayOutput.json(CaptureReplay.run(session, capture: capture))
    }
}

/// The kernel's side of `ctsim diff`: availability and the answers in the contract's JSON.
enum DiffKernel {
    /// Throws exit 3 naming what is missing (root, ip, nft, network namespaces, the kfuncs).
    static func requireSupport() throws {
        let support = KernelSupport.probe()
        guard support.isSatisfied else { throw CommandFailure(.environment, "kernel side unavailable: \(support.missingSummary)") }
    }

    /// Reads a capture; a bad file is exit 2.
    static func capture(_ path: String) throws -> Capture {
        do {
            return try Capture(contentsOf: path)
        } catch {
            throw CommandFailure(.badInput, "\(error)")
        }
    }

    /// Checks that `path` is a BPF object libbpf opens and that `program` names one of its
    /// programs (or that it has one program when nil): exit 2 otherwise. Needs no privileges.
    static func checkObject(_ path: String, program: String?, requireSingle: Bool) throws {
        // libbpf 1.1 trusts an object's BTF (a FUNC whose type id is out of range made it
        // SIGSEGV): the simulator's loader, which checks every ELF and BTF field, reads it first.
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(.badInput, "\(path): cannot read the file")
        }
        do {
            _ = try BPFObjectFile(bytes: [UInt8](data), fileName: path)
        } catch {
            throw CommandFailure(.badInput, "\(path): \(error)")
        }
        do {
            let object = try KernelBPFObject(path: path)
            if program != nil || requireSingle { _ = try object.program(named: program) }
        } catch {
            throw CommandFailure(.badInput, error.message)
        }
    }

    /// Runs `body`, turning kernel errors into exit 3 with their message.
    static func run<Result>(_ what: String, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as KernelError {
            throw CommandFailure(.environment, "\(what) on the kernel failed: \(error)")
        }
    }

    static func verification(_ verification: KernelVerification) -> JSON {
        .object([
            ("program", .string(verification.program)), ("type", .string(verification.type)),
            ("accepted", .bool(verification.accepted)), ("error", verification.error.map { .string($0) } ?? .null),
            ("processed_insns", verification.processedInstructions.map { .int($0) } ?? .null),
            ("log", .string(verification.log)),
        ])
    }

    static func global(_ value: KernelGlobalValue) -> JSON {
        switch value {
        case .signed(let v): .int(v)
        case .unsigned(let v): .uint(v)
        case .array(let items): .array(items.map(global))
        case .fields(let fields): .object(fields.map { ($0.name, global($0.value)) })
        case .bytes(let bytes): .array(bytes.map { .int(Int($0)) })
        }
    }

    /// `ctsim replay --json`'s shape for the kernel's run.
    static func replay(_ result: KernelReplayResult) -> JSON {
        .object([
            ("program", .string(result.program)), ("type", .string(result.type.name)),
            ("packets", .int(result.results.count)),
            (
                "results",
                .array(
                    result.results.map { packet in
                        var members: [(String, JSON)] = [
                            ("index", .int(packet.index)), ("retval", packet.returnValue.map { .uint(UInt64($0)) } ?? .null),
                            ("action", packet.action.map { .string($0) } ?? .null),
                        ]
                        if let skipped = packet.skipped { members.append(("skipped", .string(skipped))) }
                        return .object(members)
                    })
            ),
            ("counts", .object(result.counts.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("globals", .object(result.globals.map { ($0.name, global($0.value)) })),
            ("conntrack", .array(result.conntrack.map(TableFormat.json))),
        ])
    }
}
