import Foundation

/// Small BPF programs for tests, compiled with clang's BPF target against the project's
/// `bpf/include` (the same clang `make bpf` uses).
///
/// An object goes to `/tmp/ctsim-test-NAME-<hash of source and flags>.bpf.o`, one file per
/// version of the source, and is renamed into place: parallel test cases share it safely and a
/// later run reuses it.
public enum BPFCompiler {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The first clang found with the BPF target's usual install paths, or nil.
    public static var clang: String? {
        ["/opt/swift/usr/bin/clang", "/usr/bin/clang", "/usr/local/bin/clang"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Compiles `source` (C) and returns the object's path.
    ///
    /// - Parameters:
    ///   - includeRoot: the package root whose `bpf/include` is searched.
    ///   - flags: extra clang flags after `-O2 -g` (e.g. `-Wall`).
    public static func compile(_ name: String, _ source: String, includeRoot: String, flags: [String] = []) throws -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (flags.joined(separator: " ") + "\n" + source).utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let output = "/tmp/ctsim-test-\(name)-\(String(hash, radix: 16)).bpf.o"
        if FileManager.default.fileExists(atPath: output) { return output }
        guard let clang else { throw Failure(description: "no clang for the BPF target") }
        let unique = "\(getpid())-\(UUID().uuidString)"
        let input = "/tmp/ctsim-test-\(unique)-\(name).bpf.c"
        try source.write(toFile: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: input) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: clang)
        process.arguments =
            ["-target", "bpf", "-O2", "-g"] + flags + ["-I", includeRoot + "/bpf/include", "-c", input, "-o", output + ".\(unique).tmp"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure(description: "clang: \(text)") }
        // rename(2) is atomic: a concurrent compile of the same source leaves the same file.
        guard rename(output + ".\(unique).tmp", output) == 0 else {
            throw Failure(description: "rename \(output): errno \(errno)")
        }
        return output
    }

    /// An XDP program any verifier must reject, the kernel's message being `invalid access to
    /// packet`: it reads byte 23 after checking only 14 (program `xdp_oob`).
    public static let outOfBoundsXDP = """
        #include <ctsim/ctsim.h>
        SEC("xdp")
        int xdp_oob(struct xdp_md *ctx)
        {
            void *data = (void *)(long)ctx->data;
            void *end = (void *)(long)ctx->data_end;
            if (data + 14 > end)
                return XDP_PASS;
            return ((__u8 *)data)[23] == 6 ? XDP_DROP : XDP_PASS;
        }
        CTSIM_LICENSE("GPL");
        """
}
