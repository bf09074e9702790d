/// The kernel's kfunc flags (`include/linux/btf.h`, `KF_*`), attached to each function of a
/// registered kfunc set.
public struct KfuncFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Returns a referenced pointer the program must release.
    public static let acquire = KfuncFlags(rawValue: 1 << 0)
    /// Releases the referenced pointer passed to it.
    public static let release = KfuncFlags(rawValue: 1 << 1)
    /// May return NULL: the program must check before use.
    public static let returnsNull = KfuncFlags(rawValue: 1 << 2)
    /// Pointer arguments must be trusted (referenced or otherwise trusted by the verifier).
    public static let trustedArgs = KfuncFlags(rawValue: 1 << 4)
    public static let sleepable = KfuncFlags(rawValue: 1 << 5)
    public static let destructive = KfuncFlags(rawValue: 1 << 6)
    public static let rcu = KfuncFlags(rawValue: 1 << 7)

    private static let names: [(KfuncFlags, String)] = [
        (.acquire, "KF_ACQUIRE"), (.release, "KF_RELEASE"), (.returnsNull, "KF_RET_NULL"),
        (.trustedArgs, "KF_TRUSTED_ARGS"), (.sleepable, "KF_SLEEPABLE"), (.destructive, "KF_DESTRUCTIVE"),
        (.rcu, "KF_RCU"),
    ]

    /// e.g. `KF_ACQUIRE | KF_RET_NULL`.
    public var description: String {
        let set = Self.names.filter { contains($0.0) }.map(\.1)
        return set.isEmpty ? "0" : set.joined(separator: " | ")
    }
}
