import Foundation

#if canImport(Glibc)
import Glibc
#endif
import CLinuxShims

extension NetworkNamespace {
    /// Runs `body` on a new thread that has entered this namespace with setns(2)
    /// (`ctsim_setns_net` on `/run/netns/NAME`), and waits for it.
    ///
    /// Sockets `body` opens belong to this namespace for their whole life, whichever thread uses
    /// them later; files under `/proc/sys/net` it opens are this namespace's. The thread checks
    /// that it really is in the namespace (same nsfs inode, not the initial namespace) before
    /// `body` runs, and ends afterwards, so no thread of the process is ever left inside.
    ///
    /// Do not start child processes from `body`: use `execute` instead.
    /// - Throws: `KernelError` when the namespace cannot be entered, or what `body` throws.
    public func run<Result>(_ body: () throws -> Result) throws -> Result {
        guard !isDeleted else { throw KernelError(.namespace, "namespace \(name) was already deleted") }
        return try Self.run(inNamespaceAt: path, name: name, body)
    }

    /// Runs `body` on a new thread inside the namespace whose nsfs file (or `ip netns` bind
    /// mount) is `path`, for namespaces ctsim did not create and must not delete (e.g. one named
    /// on the command line). Same rules as `run(_:)`: the thread checks it is in that namespace
    /// and that it is not the initial one.
    ///
    /// - Parameter name: the namespace's name, for messages.
    public static func run<Result>(
        inNamespaceAt path: String, name: String, _ body: () throws -> Result
    ) throws -> Result {
        let fd = try systemCall("open \(path)") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        let target = try NamespaceIdentity(path: path)
        return try withoutActuallyEscaping(body) { escapable in
            let job = NamespaceJob(body: escapable)
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                defer { done.signal() }
                job.execute(namespaceName: name, fd: fd, target: target)
            }
            thread.name = "ctsim-netns-\(name)"
            thread.start()
            done.wait()
            return try job.takeResult()
        }
    }
}

/// One closure to run on a namespace thread, and its result. Touched by the calling thread only
/// before the thread starts and after it has signalled, hence `@unchecked Sendable`.
private final class NamespaceJob<Result>: @unchecked Sendable {
    private var body: (() throws -> Result)?
    private var result: Swift.Result<Result, any Error>?

    init(body: @escaping () throws -> Result) {
        self.body = body
    }

    func execute(namespaceName: String, fd: Int32, target: NamespaceIdentity) {
        // Drop the closure before signalling: `withoutActuallyEscaping` checks it did not escape.
        defer { body = nil }
        do {
            try systemCall("setns into \(namespaceName)") { ctsim_setns_net(fd) }
            try NamespaceIdentity.requireCurrentThread(in: target, name: namespaceName)
            let value = try body!()
            result = .success(value)
        } catch {
            result = .failure(error)
        }
    }

    func takeResult() throws -> Result {
        guard let result else { throw KernelError(.namespace, "namespace thread ended without a result") }
        return try result.get()
    }
}
