import BPFObject
import BPFVerifier
import ConntrackKfuncs
import Foundation
import Kfuncs

/// The verifier tests' corpus: C programs in Inputs/ compiled with clang's BPF target, and the
/// simulated verifier's answers for them.
enum Support {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let clang: String = {
        for candidate in ["/opt/swift/usr/bin/clang", "/usr/bin/clang"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return "clang"
    }()

    struct CompileFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Compiles Inputs/NAME.bpf.c.txt (once per process) and returns the object's path.
    static func compile(_ name: String) throws -> String {
        let source = packageRoot + "/Tests/BPFVerifierTests/Inputs/\(name).bpf.c.txt"
        let output = NSTemporaryDirectory() + "ctsim-verifier-\(getpid())-\(name).bpf.o"
        if FileManager.default.fileExists(atPath: output) { return output }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: clang)
        process.arguments = ["-target", "bpf", "-O2", "-g", "-I", packageRoot + "/bpf/include", "-x", "c", "-c", source, "-o", output]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CompileFailure(description: String(decoding: data, as: UTF8.self)) }
        return output
    }

    /// Compiles bpf/NAME.bpf.c (the project's examples) into a temporary object.
    static func compileExample(_ name: String) throws -> String {
        let output = NSTemporaryDirectory() + "ctsim-verifier-\(getpid())-example-\(name).bpf.o"
        if FileManager.default.fileExists(atPath: output) { return output }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: clang)
        process.arguments = ["-target", "bpf", "-O2", "-g", "-I", packageRoot + "/bpf/include", "-c", packageRoot + "/bpf/\(name).bpf.c", "-o", output]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CompileFailure(description: "clang failed on bpf/\(name).bpf.c") }
        return output
    }

    /// The simulated verdict of every program of the object at `path`, by name.
    static func verifyAll(_ path: String, logLevel: Int = 1) throws -> [String: VerifierVerdict] {
        let bytes = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
        let file = try BPFObjectFile(bytes: bytes, fileName: (path as NSString).lastPathComponent)
        let registry = ConntrackKfuncSet.registry()
        let options = ConntrackKfuncSet.loadOptions()
        var result: [String: VerifierVerdict] = [:]
        for program in file.programs {
            let loaded = try file.load(program.name, options: options)
            result[program.name] = BPFVerifier.verify(program: loaded, kfuncs: registry, options: VerifierOptions(logLevel: logLevel))
        }
        return result
    }
}

enum FileManagerPath {
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}
