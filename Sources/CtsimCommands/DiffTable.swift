import ArgumentParser
import KernelBackend

/// `ctsim diff table SNAPSHOT.json`: a saved simulated table vs the live one (read-only).
struct DiffTable: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table",
        abstract: "Compare a saved simulated table ('ctsim track --json' output) with the live kernel's.",
        discussion: """
            SNAPSHOT is a JSON file holding {"conntrack": [ENTRY, ...]} (as 'ctsim track --json' \
            prints) or a bare list of ENTRY objects. The live table is read-only, as 'ctsim table \
            --live' reads it. Timeouts are compared only with --timeout-tolerance.
            """
    )

    @Argument(help: ArgumentHelp("The saved simulated table.", valueName: "SNAPSHOT.json"))
    var snapshot: String

    @Option(help: "Seconds by which a timeout may differ (default: timeouts are not compared).")
    var timeoutTolerance: Int?

    @Flag(help: "Print JSON.")
    var json = false

    /// For tests: compare with the table of the named namespace instead of the current one.
    @Option(help: .hidden)
    var netns: String?

    func run() throws {
        let simulated = try Self.readSnapshot(snapshot)
        let live = try Table.liveEntries(namespace: netns).map(TableFormat.json)
        let differences = DiffCompare.tables(
            kernel: live, simulated: simulated, timeoutTolerance: timeoutTolerance.map { Int64($0) })
        try DiffReport(
            mode: "table", differences: differences, kernel: .object([("conntrack", .array(live))]),
            simulated: .object([("conntrack", .array(simulated))])
        ).emit(json: json)
    }

    /// The ENTRY list of a snapshot file; anything else is exit 2 naming the file.
    static func readSnapshot(_ path: String) throws -> [JSON] {
        let bytes: [UInt8]
        do {
            bytes = try readFile(path)
        } catch {
            throw CommandFailure(.badInput, "\(path): \(error)")
        }
        let document: JSON
        do {
            document = try DiffJSONParser.parse(bytes)
        } catch {
            throw CommandFailure(.badInput, "\(path): not JSON: \(error)")
        }
        let list: JSON = document["conntrack"] ?? document
        guard case .array(let entries) = list else {
            throw CommandFailure(.badInput, "\(path): expected {\"conntrack\": [ENTRY, ...]} or a list of ENTRY objects")
        }
        for (index, entry) in entries.enumerated() {
            guard case .object = entry, entry["family"] != nil, entry["original"] != nil else {
                throw CommandFailure(.badInput, "\(path): conntrack entry \(index) is not an ENTRY object (needs family and original)")
            }
        }
        return entries
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The whole file at `path` (open/read), errors as the errno text. More than `limit` bytes (as
/// /dev/zero gives) is EFBIG, not an allocation failure.
func readFile(_ path: String, limit: Int = 1 << 30) throws(KernelError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw KernelError(.systemCall, KernelError.errnoDescription(errno), errno: errno) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0, errno == EINTR { continue }
        if n < 0 { throw KernelError(.systemCall, KernelError.errnoDescription(errno), errno: errno) }
        if n == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<n])
        if bytes.count > limit { throw KernelError(.systemCall, KernelError.errnoDescription(EFBIG), errno: EFBIG) }
    }
}
