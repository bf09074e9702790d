import Synchronization

#if canImport(Glibc)
import Glibc
#endif
import CLinuxShims

/// A named network namespace made with `ip netns add` (so it is bind-mounted at
/// `/run/netns/NAME` and `ip netns exec` works in it).
///
/// Names are `ctsim-<pid>-<counter>`, unique per process and recognisable later: `removeStale()`
/// deletes those whose process has gone. `delete()` is idempotent, and `deinit` deletes a
/// namespace nobody deleted, but the way to use one is `withNamespace`, which deletes it on every
/// exit path. Every namespace is also registered with the signal cleanup (`SignalCleanup`): a
/// SIGINT, SIGTERM or SIGHUP removes the namespaces the process still holds before it dies.
public final class NetworkNamespace: Sendable, CustomStringConvertible {
    /// The prefix every namespace ctsim creates starts with.
    public static let namePrefix = "ctsim-"
    /// Where `ip netns` keeps its bind mounts.
    public static let directory = "/run/netns"

    private static let counter = Mutex(0)

    /// The namespace's name, e.g. `ctsim-4242-3`.
    public let name: String
    private let deleted = Mutex(false)
    /// The slot in the signal-cleanup table, or -1.
    private let cleanupSlot: Int32

    /// The bind mount `ip netns add` made: `/run/netns/NAME`.
    public var path: String { "\(Self.directory)/\(name)" }
    public var description: String { name }

    /// Creates a fresh namespace with `ip netns add ctsim-<pid>-<counter>` and brings its
    /// loopback up.
    ///
    /// - Throws: `KernelError` (`.namespace`) when `ip netns add` fails, e.g. without root.
    public static func create() throws(KernelError) -> NetworkNamespace {
        let number = counter.withLock { value in
            value += 1
            return value
        }
        let name = "\(namePrefix)\(getpid())-\(number)"
        // Registered before it exists, so a signal arriving during `ip netns add` still removes it.
        SignalCleanup.install()
        let slot = ctsim_cleanup_register("\(directory)/\(name)")
        do {
            try HostCommand.run("ip", ["netns", "add", name])
        } catch {
            ctsim_cleanup_unregister(slot)
            throw KernelError(.namespace, "cannot create namespace \(name): \(error.message)")
        }
        let namespace = NetworkNamespace(name: name, cleanupSlot: slot)
        do {
            try namespace.ip(["link", "set", "lo", "up"])
        } catch {
            try? namespace.delete()
            throw error
        }
        return namespace
    }

    private init(name: String, cleanupSlot: Int32) {
        self.name = name
        self.cleanupSlot = cleanupSlot
    }

    deinit {
        try? delete()
    }

    /// Whether `delete()` has run.
    public var isDeleted: Bool { deleted.withLock { $0 } }

    /// Deletes the namespace (`ip netns del`). Calling it again, or for a namespace already
    /// gone from `/run/netns`, does nothing.
    ///
    /// Interfaces inside go with it; the kernel frees the namespace itself once the last socket
    /// or thread in it is gone.
    public func delete() throws(KernelError) {
        let already = deleted.withLock { value in
            defer { value = true }
            return value
        }
        if already { return }
        try Self.delete(named: name)
        ctsim_cleanup_unregister(cleanupSlot)
    }

    private static func delete(named name: String) throws(KernelError) {
        guard access("\(directory)/\(name)", F_OK) == 0 else { return }
        do {
            try HostCommand.run("ip", ["netns", "del", name])
        } catch {
            // Another cleanup may have won the race; only a namespace still present is an error.
            if access("\(directory)/\(name)", F_OK) == 0 {
                throw KernelError(.namespace, "cannot delete namespace \(name): \(error.message)")
            }
        }
    }

    /// Creates a namespace, hands it to `body`, and deletes it however `body` ends.
    ///
    /// - Throws: what `body` throws, or `KernelError` when creation fails. A failed deletion
    ///   after a successful body is thrown; after a failed body, the body's error wins.
    public static func withNamespace<Result>(_ body: (NetworkNamespace) throws -> Result) throws -> Result {
        let namespace = try create()
        let result: Result
        do {
            result = try body(namespace)
        } catch {
            try? namespace.delete()
            throw error
        }
        try namespace.delete()
        return result
    }

    /// The async form of `withNamespace`.
    public static func withNamespace<Result>(
        _ body: (NetworkNamespace) async throws -> Result
    ) async throws -> Result {
        let namespace = try create()
        let result: Result
        do {
            result = try await body(namespace)
        } catch {
            try? namespace.delete()
            throw error
        }
        try namespace.delete()
        return result
    }

    /// The names in `/run/netns` that start with `ctsim-`.
    public static func existingNames() -> [String] {
        guard let directory = opendir(directory) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(namePrefix) { names.append(name) }
        }
        return names.sorted()
    }

    /// The process id encoded in a ctsim namespace name, if it is one.
    static func owner(of name: String) -> pid_t? {
        guard name.hasPrefix(namePrefix) else { return nil }
        let parts = name.dropFirst(namePrefix.count).split(separator: "-")
        guard parts.count == 2, let pid = pid_t(parts[0]), Int(parts[1]) != nil else { return nil }
        return pid
    }

    /// Deletes leftover `ctsim-<pid>-<n>` namespaces whose process no longer exists (a crashed or
    /// killed run). Namespaces of live processes, including this one, are left alone.
    ///
    /// - Returns: the names deleted.
    @discardableResult
    public static func removeStale() -> [String] {
        var removed: [String] = []
        for name in existingNames() {
            guard let pid = owner(of: name), pid != getpid() else { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }
            if (try? delete(named: name)) != nil { removed.append(name) }
        }
        return removed
    }
}

extension NetworkNamespace {
    /// Runs `ip -n NAME arguments...`.
    @discardableResult
    public func ip(_ arguments: [String]) throws(KernelError) -> CommandOutput {
        try HostCommand.run("ip", ["-n", name] + arguments)
    }

    /// Runs several `ip` commands in one process (`ip -n NAME -batch -`), one command a line.
    public func ipBatch(_ commands: [String]) throws(KernelError) {
        try HostCommand.run("ip", ["-n", name, "-batch", "-"], input: commands.joined(separator: "\n") + "\n")
    }

    /// Runs `ip netns exec NAME tool arguments...` and returns what it printed.
    ///
    /// - Parameters:
    ///   - input: text for the command's standard input.
    ///   - check: throw when the exit status is not 0.
    @discardableResult
    public func execute(
        _ tool: String, _ arguments: [String] = [], input: String? = nil, check: Bool = true
    ) throws(KernelError) -> CommandOutput {
        let path = HostCommand.locate(tool) ?? tool
        return try HostCommand.run("ip", ["netns", "exec", name, path] + arguments, input: input, check: check)
    }

    /// Loads an nftables ruleset into the namespace (`nft -f -`).
    public func loadNftables(_ ruleset: String) throws(KernelError) {
        try execute("nft", ["-f", "-"], input: ruleset)
    }
}
