import BPFObject
import Conntrack
import ConntrackKfuncs
import Foundation
import Packets
import Replay

/// What `replay` and `run` share: opening an object into a session, verifying it, JSON of globals.
enum ReplaySupport {
    static func profile(_ kernel: String?) throws -> ConntrackKernelProfile {
        guard let kernel else { return .current }
        guard let profile = ConntrackKernelProfile.named(kernel) else {
            throw CommandFailure(.badInput, "--kernel \(kernel): no conntrack kfunc profile (profiles: \(ConntrackKernelProfile.all.map(\.version).joined(separator: ", ")))")
        }
        return profile
    }

    /// Opens `path` and loads `program` into a VM session; exit 2 on bad input.
    static func session(path: String, program: String?, profile: ConntrackKernelProfile) throws -> ProgramSession {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure(.badInput, "\(path): cannot read the file") }
        let file: BPFObjectFile
        do {
            file = try BPFObjectFile(bytes: [UInt8](data), fileName: path)
        } catch {
            throw CommandFailure(.badInput, "\(path): \(error)")
        }
        do {
            return try ProgramSession(file: file, programName: program, profile: profile)
        } catch {
            throw CommandFailure(.badInput, "\(path): \(error.message)")
        }
    }

    /// Verifies the session's program: a rejection is exit 1 with the verifier's error on stderr.
    static func verify(_ session: ProgramSession) throws {
        let verdict = session.verification  // verified once, when the session was made
        guard verdict.accepted else {
            throw CommandFailure(.negative, "\(session.name): rejected by the verifier: \(verdict.error ?? "(no message)")")
        }
    }

    static func json(_ value: GlobalValue) -> JSON {
        switch value {
        case .signed(let v): .int(v)
        case .unsigned(let v): .uint(v)
        case .array(let items): .array(items.map(json))
        case .structure(let fields): .object(fields.map { ($0.name, json($0.value)) })
        }
    }

    static func typeName(_ type: ProgramType) -> String { type == .xdp ? "xdp" : "tc" }
}
