import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// For CLI tests that drive the live kernel through `ctsim`: they run as root; without root
/// they are skipped, except under `CI=true`, where they run and fail.
enum LiveKernel {
    static var isRoot: Bool { geteuid() == 0 }

    static var isCI: Bool {
        ["true", "1", "yes"].contains((ProcessInfo.processInfo.environment["CI"] ?? "").lowercased())
    }

    static var available: Bool { isRoot || isCI }

    /// Runs a host tool (ip, conntrack) and returns its standard output; throws on failure.
    @discardableResult
    static func tool(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = (environment["PATH"] ?? "") + ":/usr/sbin:/sbin"
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolFailure(description: "\(arguments.joined(separator: " ")): exit \(process.terminationStatus): \(errors)")
        }
        return output
    }

    struct ToolFailure: Error, CustomStringConvertible {
        var description: String
    }

    nonisolated(unsafe) private static var counter = 0
    private static let lock = NSLock()

    /// A namespace named like ctsim's own (`ctsim-<pid>-9<n>`), so a crashed test's leftovers are
    /// removed by the stale-namespace sweep; deleted when `body` ends.
    static func withNamespace<Result>(_ body: (String) throws -> Result) throws -> Result {
        let number = lock.withLock {
            counter += 1
            return counter
        }
        let name = "ctsim-\(getpid())-9\(number)"
        try tool(["ip", "netns", "add", name])
        defer { _ = try? tool(["ip", "netns", "del", name]) }
        return try body(name)
    }

    /// The ctsim namespaces (`/run/netns/ctsim-<pid>-*`) of process `pid`.
    static func namespaces(of pid: Int32) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        return names.filter { $0.hasPrefix("ctsim-\(pid)-") }
    }

    /// Writes `text` to a fresh temporary file and returns its path.
    static func temporaryFile(_ text: String, suffix: String = ".json") throws -> String {
        let path = NSTemporaryDirectory() + "ctsim-difftest-\(getpid())-\(UUID().uuidString)\(suffix)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

extension CLI {
    /// Runs ctsim through `launcher` (e.g. setpriv to drop root): `launcher prefix... ctsim arguments...`.
    static func run(_ arguments: [String], as launcher: String, prefix: [String]) throws -> Result {
        try run(arguments, launcher: launcher, prefix: prefix)
    }
}
