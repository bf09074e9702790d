import BPFObject
import Foundation

/// Paths and tools the BPFObject tests share: the package root, clang, compiled inputs.
enum Support {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let clang: String = {
        for candidate in ["/opt/swift/usr/bin/clang", "/usr/bin/clang"] where FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return "clang"
    }()

    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Compiles Inputs/NAME.bpf.c (once per process) and returns the object's bytes.
    static func compiled(_ name: String) throws -> [UInt8] {
        let source = packageRoot + "/Tests/BPFObjectTests/Inputs/\(name).bpf.c.txt"
        let output = NSTemporaryDirectory() + "ctsim-bpfobject-\(getpid())-\(name).bpf.o"
        if !FileManager.default.fileExists(atPath: output) {
            // Compiled beside and renamed into place, so a concurrent test never reads half a file.
            let partial = output + ".\(UUID().uuidString).tmp"
            let result = try run(clang, ["-target", "bpf", "-O2", "-g", "-I", packageRoot + "/bpf/include", "-x", "c", "-c", source, "-o", partial])
            guard result.status == 0 else { throw CompileFailure(message: result.output) }
            guard rename(partial, output) == 0 else { throw CompileFailure(message: "rename \(output): errno \(errno)") }
        }
        return [UInt8](FileManager.default.contents(atPath: output) ?? Data())
    }

    /// The project's example objects (bpf/build/*.bpf.o), built from bpf/*.bpf.c when missing.
    static func exampleObjects() throws -> [(name: String, bytes: [UInt8])] {
        let sources = try FileManager.default.contentsOfDirectory(atPath: packageRoot + "/bpf").filter { $0.hasSuffix(".bpf.c") }.sorted()
        var result: [(String, [UInt8])] = []
        for source in sources {
            let name = String(source.dropLast(2)) + ".o"
            var path = packageRoot + "/bpf/build/" + name
            if !FileManager.default.fileExists(atPath: path) {
                path = NSTemporaryDirectory() + "ctsim-bpfobject-\(getpid())-\(UUID().uuidString)-" + name
                let r = try run(clang, ["-target", "bpf", "-O2", "-g", "-I", packageRoot + "/bpf/include", "-c", packageRoot + "/bpf/" + source, "-o", path])
                guard r.status == 0 else { throw CompileFailure(message: r.output) }
            }
            result.append((name, [UInt8](FileManager.default.contents(atPath: path) ?? Data())))
        }
        return result
    }

    /// The running kernel's BTF, parsed once (nil where the kernel exposes none).
    static let hostBTF: BTF? = {
        guard let data = FileManager.default.contents(atPath: "/sys/kernel/btf/vmlinux") else { return nil }
        return try? BTF(bytes: [UInt8](data))
    }()
}

struct CompileFailure: Error { var message: String }
