import ConntrackKfuncs

/// The kernel whose conntrack kfunc ABI the simulated program sees: `bpf_ct_opts` size and zones,
/// whether alloc confirms, `nf_conn->mark` writes, NAT info, how insert treats the timeout.
///
/// ```swift
/// let program = try XDPProgram(object: path, kernel: .v6_6)
/// let older = KernelVersion("6.5")   // the newest profile not after 6.5: 6.3
/// ```
public struct KernelVersion: Hashable, Sendable, CustomStringConvertible {
    let profile: ConntrackKernelProfile

    init(profile: ConntrackKernelProfile) { self.profile = profile }

    /// The profile for `version` ("6.5" gives the newest profile not after it), or nil before 6.0.
    public init?(_ version: String) {
        guard let profile = ConntrackKernelProfile.named(version) else { return nil }
        self.profile = profile
    }

    public static let v6_0 = KernelVersion(profile: .v6_0)
    public static let v6_1 = KernelVersion(profile: .v6_1)
    public static let v6_3 = KernelVersion(profile: .v6_3)
    public static let v6_6 = KernelVersion(profile: .v6_6)
    public static let v6_11 = KernelVersion(profile: .v6_11)
    public static let v6_18 = KernelVersion(profile: .v6_18)
    /// The reference kernel, 6.18.
    public static let current = v6_18
    /// Every profile, oldest first.
    public static let all: [KernelVersion] = [.v6_0, .v6_1, .v6_3, .v6_6, .v6_11, .v6_18]

    /// `major.minor`, e.g. "6.18".
    public var description: String { profile.version }
}
