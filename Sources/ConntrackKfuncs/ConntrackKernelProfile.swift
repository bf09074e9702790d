/// The conntrack kfunc ABI of one kernel version: what changed between the original series (6.0)
/// and 6.18 (`kernel-facts.md` §0).
public struct ConntrackKernelProfile: Hashable, Sendable, CustomStringConvertible {
    /// `major.minor`, e.g. "6.18".
    public var version: String
    /// 16-byte `bpf_ct_opts` with zones (6.11+); before, 12 bytes only.
    public var zones: Bool
    /// Alloc sets IPS_CONFIRMED at once (6.0–6.2).
    public var allocConfirms: Bool
    /// Stores to `nf_conn->mark` allowed (6.1+).
    public var markWrites: Bool
    /// `bpf_ct_set_nat_info` exists (6.1+).
    public var natInfo: Bool
    /// Insert turns a relative timeout into an absolute one (6.6+).
    public var insertAddsNow: Bool

    public var description: String { version }

    public static let v6_0 = ConntrackKernelProfile(version: "6.0", zones: false, allocConfirms: true, markWrites: false, natInfo: false, insertAddsNow: false)
    public static let v6_1 = ConntrackKernelProfile(version: "6.1", zones: false, allocConfirms: true, markWrites: true, natInfo: true, insertAddsNow: false)
    public static let v6_3 = ConntrackKernelProfile(version: "6.3", zones: false, allocConfirms: false, markWrites: true, natInfo: true, insertAddsNow: false)
    public static let v6_6 = ConntrackKernelProfile(version: "6.6", zones: false, allocConfirms: false, markWrites: true, natInfo: true, insertAddsNow: true)
    public static let v6_11 = ConntrackKernelProfile(version: "6.11", zones: true, allocConfirms: false, markWrites: true, natInfo: true, insertAddsNow: true)
    public static let v6_18 = ConntrackKernelProfile(version: "6.18", zones: true, allocConfirms: false, markWrites: true, natInfo: true, insertAddsNow: true)

    /// The default: the reference kernel.
    public static let current = v6_18
    public static let all = [v6_0, v6_1, v6_3, v6_6, v6_11, v6_18]

    /// The profile for `version` ("6.0", "6.5" → the newest profile not after it), nil when before 6.0.
    public static func named(_ version: String) -> ConntrackKernelProfile? {
        func key(_ v: String) -> (Int, Int)? {
            let parts = v.split(separator: ".").compactMap { Int($0) }
            guard parts.count >= 2 else { return nil }
            return (parts[0], parts[1])
        }
        guard let wanted = key(version) else { return nil }
        return all.last { key($0.version).map { $0 <= wanted } ?? false }
    }
}
