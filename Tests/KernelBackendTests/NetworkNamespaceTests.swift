import CtsimTesting
import Foundation
import KernelBackend
import Testing

private struct Boom: Error, Equatable {}

@Suite("Network namespaces")
struct NetworkNamespaceTests {
    @Test("create, enter and delete; deleting twice is harmless", .needsKernel)
    func lifecycle() throws {
        let namespace = try NetworkNamespace.create()
        #expect(namespace.name.hasPrefix("ctsim-\(getpid())-"))
        #expect(FileManager.default.fileExists(atPath: namespace.path))
        let inside = try namespace.run { try NamespaceIdentity.currentThread() }
        #expect(inside == (try NamespaceIdentity(path: namespace.path)))
        #expect(inside != NamespaceIdentity.initial())
        #expect(!inside.isInitial)
        #expect(inside != (try NamespaceIdentity.process()))
        // The calling thread itself never moved.
        #expect(try NamespaceIdentity.currentThread() != inside)
        try namespace.delete()
        #expect(namespace.isDeleted)
        #expect(!FileManager.default.fileExists(atPath: namespace.path))
        try namespace.delete()
        #expect(throws: KernelError.self) { try namespace.run { 1 } }
    }

    @Test("withNamespace deletes the namespace when the body throws", .needsKernel)
    func cleanupAfterError() throws {
        var seen: String?
        #expect(throws: Boom.self) {
            try NetworkNamespace.withNamespace { namespace in
                seen = namespace.name
                #expect(NetworkNamespace.existingNames().contains(namespace.name))
                throw Boom()
            }
        }
        let name = try #require(seen)
        #expect(!NetworkNamespace.existingNames().contains(name))
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(name)"))
    }

    @Test("the async withNamespace deletes the namespace when the body throws", .needsKernel)
    func asyncCleanupAfterError() async throws {
        let seen = Mutex<String?>(nil)
        await #expect(throws: Boom.self) {
            try await NetworkNamespace.withNamespace { namespace in
                seen.withLock { $0 = namespace.name }
                await Task.yield()
                throw Boom()
            }
        }
        let name = try #require(seen.withLock { $0 })
        #expect(!NetworkNamespace.existingNames().contains(name))
    }

    @Test("an error inside the namespace thread comes back to the caller", .needsKernel)
    func errorFromInside() throws {
        try NetworkNamespace.withNamespace { namespace in
            #expect(throws: Boom.self) { try namespace.run { throw Boom() } }
            // The namespace stays usable.
            let value = try namespace.run { 42 }
            #expect(value == 42)
        }
    }

    @Test("sysctls are per namespace and do not touch the host", .needsKernel)
    func sysctls() throws {
        let hostForwarding = try String(contentsOfFile: "/proc/sys/net/ipv4/ip_forward", encoding: .utf8)
        try NetworkNamespace.withNamespace { namespace in
            let before = try namespace.sysctl("net.ipv4.ip_forward")
            try namespace.setSysctl("net.ipv4.ip_forward", before == "1" ? "0" : "1")
            #expect(try namespace.sysctl("net.ipv4.ip_forward") == (before == "1" ? "0" : "1"))
            // What `ip netns exec` sees agrees with what the namespace thread wrote.
            let seen = try namespace.execute("cat", ["/proc/sys/net/ipv4/ip_forward"]).standardOutput
            #expect(seen.trimmingCharacters(in: .whitespacesAndNewlines) == (before == "1" ? "0" : "1"))
        }
        #expect(try String(contentsOfFile: "/proc/sys/net/ipv4/ip_forward", encoding: .utf8) == hostForwarding)
    }

    @Test("removeStale deletes namespaces of dead processes only", .needsKernel)
    func removeStale() throws {
        // A pid that existed and is gone: a finished child.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let stale = "ctsim-\(child.processIdentifier)-1"
        let output = Process()
        output.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        output.arguments = ["netns", "add", stale]
        try output.run()
        output.waitUntilExit()
        try #require(output.terminationStatus == 0)
        try NetworkNamespace.withNamespace { mine in
            let removed = NetworkNamespace.removeStale()
            #expect(removed.contains(stale))
            #expect(!removed.contains(mine.name))
            #expect(!NetworkNamespace.existingNames().contains(stale))
            #expect(NetworkNamespace.existingNames().contains(mine.name))
        }
    }

    @Test("conntrack calls are refused outside a private namespace")
    func refusesInitialNamespace() throws {
        // This test thread is in the namespace the test process started in.
        #expect(try NamespaceIdentity.currentThread() == NamespaceIdentity.process())
        #expect(throws: KernelError.self) { try NamespaceIdentity.requireNotInitial() }
    }
}

import Synchronization

@Suite("Kernel support")
struct KernelSupportTests {
    @Test("the probe reports one line, and everything is present here", .needsKernel)
    func probe() {
        let support = KernelSupport.probe(tools: ["conntrack"])
        #expect(!support.description.contains("\n"))
        #expect(support.isSatisfied, "\(support)")
        #expect(support.checks.map(\.name) == ["root", "ip", "nft", "conntrack", "netns", "kfuncs"])
    }

    @Test("missing support skips, except under CI where it fails with the reason")
    func verdicts() {
        let missing = KernelSupport(checks: [
            .init(name: "root", satisfied: false, detail: "not running as root (euid 1000)"),
            .init(name: "ip", satisfied: true, detail: "/usr/sbin/ip"),
        ])
        #expect(missing.description == "kernel support missing: root: not running as root (euid 1000)")
        #expect(KernelRequirement.verdict(for: missing, ci: false) == .skip(missing.description))
        #expect(KernelRequirement.verdict(for: missing, ci: true) == .fail("root: not running as root (euid 1000)"))
        #expect(throws: KernelError(.unsupported, "root: not running as root (euid 1000)")) { try missing.require() }
        let present = KernelSupport(checks: [.init(name: "root", satisfied: true, detail: "euid 0")])
        #expect(KernelRequirement.verdict(for: present, ci: true) == .run)
        #expect(KernelRequirement.verdict(for: present, ci: false) == .run)
    }
}
