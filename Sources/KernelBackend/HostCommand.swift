import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What an external command printed and how it exited.
public struct CommandOutput: Sendable, Equatable {
    /// The command line, for messages.
    public var commandLine: String
    public var status: Int32
    public var standardOutput: String
    public var standardError: String

    /// Standard output split into lines, without empty ones.
    public var lines: [String] {
        standardOutput.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }
}

/// Runs `ip`, `nft` and the like as child processes (Foundation `Process`), capturing both outputs.
///
/// Always called from an ordinary thread: a child inherits the network namespace of the thread
/// that spawns it, so namespace threads never spawn processes (use `ip netns exec` instead).
enum HostCommand {
    /// Directories searched after `PATH`: `ip` and `nft` live in sbin, which a non-login PATH may lack.
    static let fallbackDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"]

    /// The absolute path of `tool`, or nil when it is not installed.
    static func locate(_ tool: String) -> String? {
        if tool.hasPrefix("/") { return access(tool, X_OK) == 0 ? tool : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + fallbackDirectories
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/" + tool
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Runs `tool` with `arguments` and waits for it.
    ///
    /// - Parameters:
    ///   - input: bytes written to the child's standard input (which is closed afterwards).
    ///   - check: throw when the exit status is not 0.
    /// - Throws: `KernelError` of kind `.command` when the tool is missing, cannot be started or
    ///   (with `check`) exits non-zero; the message holds its first line of standard error.
    @discardableResult
    static func run(
        _ tool: String, _ arguments: [String], input: String? = nil, check: Bool = true
    ) throws(KernelError) -> CommandOutput {
        let commandLine = ([tool] + arguments).joined(separator: " ")
        guard let executable = locate(tool) else {
            throw KernelError(.command, "\(commandLine): \(tool) not found in PATH or sbin")
        }
        let stdout = try TemporaryOutput()
        let stderr = try TemporaryOutput()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = stdout.handle
        process.standardError = stderr.handle
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        do {
            try process.run()
        } catch {
            throw KernelError(.command, "\(commandLine): cannot start: \(error)")
        }
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        process.waitUntilExit()
        let output = CommandOutput(
            commandLine: commandLine, status: process.terminationStatus,
            standardOutput: stdout.contents(), standardError: stderr.contents())
        if check, output.status != 0 {
            let reason = output.standardError.split(separator: "\n").first.map(String.init) ?? "no message"
            throw KernelError(.command, "\(commandLine): exit \(output.status): \(reason)")
        }
        return output
    }
}

/// An unlinked temporary file a child writes one of its outputs into (no pipe, so no deadlock
/// however much it prints).
private final class TemporaryOutput {
    let handle: FileHandle

    init() throws(KernelError) {
        var template = Array("/tmp/ctsim-output-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw KernelError.fromErrno("mkstemp") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    func contents() -> String {
        let fd = handle.fileDescriptor
        lseek(fd, 0, SEEK_SET)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
