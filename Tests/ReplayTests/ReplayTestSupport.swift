import BPFObject
import Foundation
import Replay

/// Paths of the project's BPF objects and samples, from this file's path.
enum ReplayTestFiles {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func object(_ name: String) -> String { root + "/bpf/build/" + name + ".bpf.o" }
    static var firewall: String { object("xdp_ct_firewall") }

    /// Every capture in Pcaps/.
    static var samples: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/Pcaps")) ?? []).filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }

    static func sample(_ name: String) -> String { root + "/Pcaps/" + name }

    static func session(_ path: String, program: String? = nil) throws -> ProgramSession {
        let data = try #require(FileManager.default.contents(atPath: path), "\(path) (run make bpf)")
        let file = try BPFObjectFile(bytes: [UInt8](data), fileName: path)
        return try ProgramSession(file: file, programName: program)
    }
}

import Testing
