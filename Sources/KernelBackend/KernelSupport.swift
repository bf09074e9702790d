#if canImport(Glibc)
import Glibc
#endif

/// What the live-kernel path needs and whether this machine has it: root, the `ip` and `nft`
/// tools, the right to create network namespaces, and the conntrack kfuncs in the running
/// kernel (found through its BTF).
public struct KernelSupport: Sendable, CustomStringConvertible {
    /// One requirement and its outcome.
    public struct Check: Sendable, Equatable {
        /// A short name, e.g. `root`, `ip`, `netns`, `kfuncs`.
        public var name: String
        public var satisfied: Bool
        /// What was found, or why it is missing.
        public var detail: String

        public init(name: String, satisfied: Bool, detail: String) {
            self.name = name
            self.satisfied = satisfied
            self.detail = detail
        }
    }

    /// The kfuncs whose presence stands for the whole conntrack kfunc set.
    public static let requiredKfuncs = ["bpf_xdp_ct_alloc", "bpf_ct_insert_entry"]

    public var checks: [Check]

    public init(checks: [Check]) {
        self.checks = checks
    }

    /// The checks that failed.
    public var missing: [Check] { checks.filter { !$0.satisfied } }

    /// Whether everything is present.
    public var isSatisfied: Bool { missing.isEmpty }

    /// One line: `kernel support: all present (...)` or `kernel support missing: a; b`.
    public var description: String {
        if isSatisfied {
            return "kernel support: all present (" + checks.map { "\($0.name): \($0.detail)" }.joined(separator: ", ") + ")"
        }
        return "kernel support missing: " + missingSummary
    }

    /// The failed checks as `name: detail` joined by `; ` (empty when nothing is missing).
    public var missingSummary: String {
        missing.map { "\($0.name): \($0.detail)" }.joined(separator: "; ")
    }

    /// Throws `KernelError(.unsupported)` listing what is missing, if anything is.
    public func require() throws(KernelError) {
        guard isSatisfied else { throw KernelError(.unsupported, missingSummary) }
    }

    /// Checks everything now.
    ///
    /// - Parameter tools: further commands that must be installed (e.g. `conntrack`).
    /// - Returns: the outcome; nothing here throws. Creating the test namespace needs root, so
    ///   without root that check reports it was not tried.
    public static func probe(tools: [String] = []) -> KernelSupport {
        var checks: [Check] = []
        let euid = geteuid()
        let root = euid == 0
        checks.append(Check(name: "root", satisfied: root, detail: root ? "euid 0" : "not running as root (euid \(euid))"))
        for tool in ["ip", "nft"] + tools {
            if let path = HostCommand.locate(tool) {
                checks.append(Check(name: tool, satisfied: true, detail: path))
            } else {
                checks.append(Check(name: tool, satisfied: false, detail: "\(tool) not found in PATH or sbin"))
            }
        }
        checks.append(probeNamespace(root: root, haveIP: HostCommand.locate("ip") != nil))
        checks.append(probeKfuncs())
        return KernelSupport(checks: checks)
    }

    private static func probeNamespace(root: Bool, haveIP: Bool) -> Check {
        guard root, haveIP else {
            return Check(name: "netns", satisfied: false, detail: "not tried (needs root and ip)")
        }
        do {
            let namespace = try NetworkNamespace.create()
            let inside = try namespace.run { try NamespaceIdentity.currentThread() }
            try namespace.delete()
            return Check(name: "netns", satisfied: true, detail: "created and entered \(inside)")
        } catch {
            return Check(name: "netns", satisfied: false, detail: "cannot create a network namespace: \(error)")
        }
    }

    private static func probeKfuncs() -> Check {
        let btf: VMLinuxBTF
        do {
            btf = try VMLinuxBTF()
        } catch {
            return Check(name: "kfuncs", satisfied: false, detail: error.message)
        }
        let absent = requiredKfuncs.filter { !btf.hasFunction($0) }
        if absent.isEmpty {
            return Check(name: "kfuncs", satisfied: true, detail: requiredKfuncs.joined(separator: "/") + " in vmlinux BTF")
        }
        return Check(
            name: "kfuncs", satisfied: false,
            detail: "kernel BTF has no " + absent.joined(separator: ", ") + " (nf_conntrack kfuncs missing)")
    }
}
