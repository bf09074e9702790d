#if canImport(Glibc)
import Glibc
#endif

extension NetworkNamespace {
    /// The `/proc/sys` path of a sysctl key: `net.netfilter.nf_conntrack_acct` becomes
    /// `/proc/sys/net/netfilter/nf_conntrack_acct`.
    static func sysctlPath(_ key: String) -> String {
        "/proc/sys/" + key.replacingDots()
    }

    /// Sets per-namespace sysctls, in order, by writing `/proc/sys/...` from a thread inside the
    /// namespace (sysctls under `net.` are per network namespace and resolved for the writing
    /// thread).
    ///
    /// - Throws: `KernelError` naming the key when a file cannot be opened or written.
    public func setSysctls(_ settings: [(key: String, value: String)]) throws {
        try run {
            for (key, value) in settings {
                try Self.writeFile(Self.sysctlPath(key), value + "\n", what: "sysctl \(key)=\(value)")
            }
        }
    }

    /// Sets one per-namespace sysctl.
    public func setSysctl(_ key: String, _ value: String) throws {
        try setSysctls([(key, value)])
    }

    /// Reads one per-namespace sysctl, without the trailing newline.
    public func sysctl(_ key: String) throws -> String {
        try run { try Self.readFile(Self.sysctlPath(key), what: "sysctl \(key)") }
    }

    static func writeFile(_ path: String, _ text: String, what: String) throws(KernelError) {
        let fd = try systemCall("open \(path) for \(what)") { open(path, O_WRONLY | O_CLOEXEC) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = try systemCall("write \(what)") { bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
        guard written == bytes.count else { throw KernelError(.systemCall, "short write for \(what)") }
    }

    static func readFile(_ path: String, what: String) throws(KernelError) -> String {
        let fd = try systemCall("open \(path) for \(what)") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = try systemCall("read \(what)") { buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
        var text = String(decoding: buffer[0..<n], as: UTF8.self)
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}

extension String {
    fileprivate func replacingDots() -> String {
        String(map { $0 == "." ? "/" : $0 })
    }
}
