/// One kfunc call a program made, with what it returned.
public struct KfuncCall: Hashable, Sendable, CustomStringConvertible {
    /// `bpf_xdp_ct_lookup`, `bpf_ct_insert_entry`, ...
    public var name: String
    /// The arguments as `ctsim replay --trace` prints them (tuples decoded).
    public var arguments: String
    /// `nf_conn`, `NULL`, a number, `void`.
    public var result: String
    /// The errno the call wrote into `opts->error` (0 when none).
    public var errno: Int32

    public var description: String { "\(name)(\(arguments)) = \(result)" + (errno != 0 ? " (error \(errno))" : "") }
}
