import Foundation

/// A regression suite: cases read from a YAML suite file, and where their golden results live.
///
/// ```yaml
/// defaults:                       # optional; any case key but name
///   object: ../bpf/build/xdp_ct_firewall.bpf.o
///   kernel: "6.18"
/// cases:
///   - name: firewall-tcp-handshake
///     captures: ../Pcaps/tcp-handshake-close.pcap   # one path or a list
///   - name: firewall-udp-loose-off
///     captures: [../Pcaps/udp-request-reply.pcap]
///     sysctls: {net.netfilter.nf_conntrack_udp_timeout: 10}
///     options: {track: true}
/// ```
///
/// Paths are relative to the suite file. Each case's golden result is
/// `<suite file without extension>.golden/<case name>.json` next to the suite file (or
/// `golden: DIR` at the top level).
public struct RegressionSuite: Sendable {
    /// The suite file's path, as given.
    public var path: String
    /// The suite's name: `name:` in the file, else the file name without its extension.
    public var name: String
    /// The directory golden files go into.
    public var goldenDirectory: String
    /// The cases in file order.
    public var cases: [RegressionCase]

    public init(path: String, name: String, goldenDirectory: String, cases: [RegressionCase]) {
        self.path = path
        self.name = name
        self.goldenDirectory = goldenDirectory
        self.cases = cases
    }

    /// Reads and checks the suite file at `path` (every file it names must exist).
    /// - Throws: `RegressionError` naming the suite file, the line and the case.
    public static func load(path: String) throws(RegressionError) -> RegressionSuite {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RegressionError(.unreadable, "cannot read the suite file", suite: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RegressionError(.unreadable, "the suite file is not UTF-8 text", suite: path)
        }
        return try SuiteParser(path: path, text: text).parse()
    }

    /// Parses suite `text` as if read from `path` (relative paths resolve against its directory).
    /// - Parameter checkFiles: whether objects and captures must exist.
    /// - Throws: `RegressionError` naming the suite file, the line and the case.
    public init(yaml text: String, path: String, checkFiles: Bool = true) throws(RegressionError) {
        var parser = SuiteParser(path: path, text: text)
        parser.checkFiles = checkFiles
        self = try parser.parse()
    }

    /// The golden file of `regressionCase`.
    public func goldenPath(for regressionCase: RegressionCase) -> String {
        goldenDirectory + "/" + regressionCase.name + ".json"
    }

    /// The cases of `shard` (all when nil) whose names contain `filter` (all when nil), in
    /// suite order. The shard is taken over the whole suite, before the filter.
    public func selecting(shard: Shard? = nil, filter: String? = nil) -> [RegressionCase] {
        cases.enumerated().filter { position, c in
            (shard?.contains(position: position) ?? true) && (filter.map { c.name.contains($0) } ?? true)
        }.map(\.element)
    }

    /// `directory/path` unless `path` is absolute.
    static func resolve(_ path: String, against directory: String) -> String {
        if path.hasPrefix("/") || directory.isEmpty { return path }
        return directory + "/" + path
    }
}
