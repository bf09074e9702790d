import ArgumentParser
import KernelBackend

/// `ctsim table --live [--json]`: the live kernel's conntrack table, read-only.
struct Table: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table",
        abstract: "Print the live kernel's conntrack table (read-only), in the formats of 'ctsim track'.",
        discussion: """
            With --live, dumps the conntrack table of the network namespace ctsim runs in (the \
            host's, normally) through libnetfilter_conntrack, the way 'conntrack -L' reads it: one \
            dump, nothing written, flushed or created. Text: one 'conntrack -L -o extended' line per \
            entry. --json: {"entries": N, "conntrack": [ENTRY, ...]}. Needs CAP_NET_ADMIN (exit 3 \
            without it).
            """
    )

    @Flag(help: "Read the live kernel's table.")
    var live = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    /// For tests: read the table of the named namespace (`ip netns add NAME`) instead.
    @Option(help: .hidden)
    var netns: String?

    func validate() throws {
        if !live { throw ValidationError("give --live (the simulated table is 'ctsim track PCAP')") }
    }

    func run() throws {
        let entries = try Self.liveEntries(namespace: netns)
        if json {
            Output.out(
                JSON.object([("entries", .int(entries.count)), ("conntrack", .array(entries.map(TableFormat.json)))]).serialized())
        } else {
            for entry in entries { Output.out(TableFormat.extendedLine(entry)) }
        }
    }

    /// The live table of the current namespace, or of `namespace`; kernel refusals become exit 3.
    static func liveEntries(namespace: String?) throws -> [KernelConntrackEntry] {
        do {
            if let namespace { return try ConntrackDump.entries(inNamespaceNamed: namespace) }
            return try ConntrackDump.currentNamespaceEntries()
        } catch let error as KernelError {
            if error.kind == .namespace, namespace != nil { throw CommandFailure(.badInput, error.message) }
            if error.errno == 1 || error.errno == 13 {
                throw CommandFailure(.environment, "cannot read the conntrack table: \(error.message) (needs root or CAP_NET_ADMIN)")
            }
            throw CommandFailure(.environment, "cannot read the conntrack table: \(error)")
        }
    }
}
