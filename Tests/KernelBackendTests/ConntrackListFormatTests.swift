import CtsimTesting
import KernelBackend
import Packets
import Testing

@Suite("conntrack -L formatting")
struct ConntrackListFormatTests {
    /// Splits a line into its fields, with the timeout (the third field) apart.
    static func fields(_ line: String) -> (timeout: Int, rest: [Substring]) {
        // The layout is `NAME<padding> PROTONUM TIMEOUT ...`: the timeout is the third word. The
        // padding stays in the fields, so it is compared too.
        var fields = line.split(separator: " ", omittingEmptySubsequences: false)
        let words = fields.indices.filter { !fields[$0].isEmpty }
        guard words.count > 2 else { return (-1, fields) }
        let timeout = Int(fields.remove(at: words[2])) ?? -1
        return (timeout, fields)
    }

    /// Lines equal except for the timeout (and delta-time) differing by at most 2 seconds.
    static func match(_ ours: String, _ theirs: String) -> Bool {
        let a = fields(ours)
        let b = fields(theirs)
        guard abs(a.timeout - b.timeout) <= 2, a.rest.count == b.rest.count else { return false }
        for (x, y) in zip(a.rest, b.rest) where x != y {
            guard x.hasPrefix("delta-time="), y.hasPrefix("delta-time="),
                let u = Int(x.dropFirst(11)), let v = Int(y.dropFirst(11)), abs(u - v) <= 2
            else { return false }
        }
        return true
    }

    @Test("a hand-made line has the grammar of conntrack -L")
    func grammar() {
        let entry = KernelConntrackEntry(
            family: .ipv4, protocolNumber: 6,
            original: .init(
                source: .v4(IPv4Address(192, 0, 2, 11)), destination: .v4(IPv4Address(192, 0, 2, 20)),
                layer4: .ports(source: 1112, destination: 80)),
            reply: .init(
                source: .v4(IPv4Address(192, 0, 2, 20)), destination: .v4(IPv4Address(192, 0, 2, 11)),
                layer4: .ports(source: 80, destination: 1112)),
            tcpState: .synSent, status: [.confirmed], timeout: 119)
        #expect(
            entry.conntrackListLine()
                == "tcp      6 119 SYN_SENT src=192.0.2.11 dst=192.0.2.20 sport=1112 dport=80 [UNREPLIED] src=192.0.2.20 dst=192.0.2.11 sport=80 dport=1112 mark=0 use=1"
        )
    }

    @Test(
        "our lines equal conntrack -L and nfct_snprintf for the same table", .needsKernel,
        arguments: [false, true])
    func againstConntrackTool(accountingAndTimestamps: Bool) throws {
        let capture = try writeAndReadRoundTripCapture(linkType: .ethernet)
        let sysctls: [(key: String, value: String)] =
            accountingAndTimestamps
            ? [("net.netfilter.nf_conntrack_acct", "1"), ("net.netfilter.nf_conntrack_timestamp", "1")] : []
        try withForwardingTopology(configuration: .init(routerSysctls: sysctls)) { topology in
            _ = try topology.makeInjector().inject(capture)
            let pairs = try ConntrackDump.entriesWithLibraryLines(in: topology.router)
            let tool = try topology.router.execute("conntrack", ["-L"])
            #expect(tool.standardError.contains("\(pairs.count) flow entries have been shown"))
            let toolLines = tool.lines
            #expect(toolLines.count == pairs.count)
            #expect(pairs.count == RoundTripTraffic.expectedEntries.count)
            for (entry, libraryLine) in pairs {
                let ours = entry.conntrackListLine()
                #expect(Self.match(ours, libraryLine), "ours:    \(ours)\nlibrary: \(libraryLine)")
                #expect(toolLines.contains { Self.match(ours, $0) }, "ours: \(ours)\nconntrack -L:\n\(toolLines.joined(separator: "\n"))")
                if accountingAndTimestamps {
                    #expect(entry.originalCounters != nil && entry.timestampStart != nil)
                    #expect(ours.contains("packets=") && ours.contains("delta-time="))
                } else {
                    #expect(entry.originalCounters == nil && entry.timestampStart == nil)
                }
            }
        }
    }
}
