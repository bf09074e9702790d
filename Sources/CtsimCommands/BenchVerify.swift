import ArgumentParser
import BPFObject
import BPFVerifier
import ConntrackKfuncs
import Foundation
import KernelBackend

/// `ctsim bench verify [OBJECT...]`: how long the simulated verifier takes on each program, next
/// to the kernel's own `verification time N usec` for the same program (log level 4, in a private
/// namespace; simulated only when the kernel side is unavailable).
struct BenchVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verification time per program: the simulated verifier vs the kernel's own 'verification time'.",
        discussion: """
            Every program of each object (default: bpf/build/*.bpf.o) is verified --repeat times by \
            ctsim (log level 0; the median is shown) and, as root with BPF support, loaded as many \
            times by the kernel at log level 4, whose 'verification time N usec' is read from the \
            log (the median is shown). Loading the ELF and relocating is not timed on either side.
            """
    )

    @Argument(help: "clang-built BPF objects (default: bpf/build/*.bpf.o).")
    var objects: [String] = []

    @Option(help: "Verifications per program and side (the median is reported).")
    var `repeat` = 5

    @Flag(help: "Only the simulated side.")
    var simulatedOnly = false

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard `repeat` > 0 else { throw ValidationError("--repeat must be positive") }
    }

    struct Row {
        var object: String
        var program: String
        var accepted: Bool
        var processed: Int
        var simulatedMicroseconds: Double
        var kernelAccepted: Bool?
        var kernelProcessed: Int?
        var kernelMicroseconds: Double?

        var ratio: Double? { kernelMicroseconds.map { simulatedMicroseconds / max($0, 1) } }
    }

    func run() throws {
        var paths = objects
        if paths.isEmpty {
            let dir = "bpf/build"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            paths = names.filter { $0.hasSuffix(".bpf.o") }.sorted().map { dir + "/" + $0 }
            if paths.isEmpty { throw CommandFailure(.badInput, "no objects given and none in bpf/build (run make bpf)") }
        }
        var rows: [Row] = []
        for path in paths { rows += try simulate(path) }
        var kernelNote: String?
        if !simulatedOnly {
            do {
                try kernel(&rows)
            } catch let failure as CommandFailure {
                kernelNote = failure.message
            }
        }
        if json {
            Output.out(Self.json(rows, kernelNote: kernelNote).serialized())
        } else {
            Output.out(Self.table(rows, kernelNote: kernelNote))
        }
    }

    /// Every program of `path`, verified `repeat` times.
    func simulate(_ path: String) throws -> [Row] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure(.badInput, "\(path): cannot read the file") }
        let file: BPFObjectFile
        do {
            file = try BPFObjectFile(bytes: [UInt8](data), fileName: path)
        } catch {
            throw CommandFailure(.badInput, "\(path): \(error)")
        }
        let registry = ConntrackKfuncSet.registry()
        let options = ConntrackKfuncSet.loadOptions()
        var rows: [Row] = []
        for program in file.programs {
            let loaded: LoadedProgram
            do {
                loaded = try file.load(program.name, options: options)
            } catch {
                throw CommandFailure(.badInput, "\(path): \(error)")
            }
            var times: [Double] = []
            var verdict: VerifierVerdict?
            for _ in 0..<`repeat` {
                let watch = Stopwatch()
                verdict = BPFVerifier.verify(program: loaded, kfuncs: registry, options: VerifierOptions(logLevel: 0))
                times.append(watch.elapsed().wall * 1e6)
            }
            rows.append(
                Row(
                    object: (path as NSString).lastPathComponent, program: program.name, accepted: verdict?.accepted ?? false,
                    processed: verdict?.processedInstructions ?? 0, simulatedMicroseconds: Self.median(times)))
        }
        return rows
    }

    /// The kernel's own verification time for each row (matched by object and program).
    func kernel(_ rows: inout [Row]) throws {
        guard geteuid() == 0 else { throw CommandFailure(.environment, "kernel side needs root") }
        try DiffKernel.requireSupport()
        let paths = objects.isEmpty ? rows.map { "bpf/build/" + $0.object } : objects
        let count = `repeat`
        let results: [(String, KernelVerification, Double)] = try DiffKernel.run("bench verify") {
            try NetworkNamespace.withNamespace { namespace in
                try namespace.run {
                    var out: [(String, KernelVerification, Double)] = []
                    for path in Set(paths).sorted() {
                        let names = try KernelBPFObject(path: path).programs.map(\.name)
                        for name in names {
                            var times: [Double] = []
                            var last: KernelVerification?
                            for _ in 0..<count {
                                let v = try KernelProgramLoader.load(path: path, program: name, logLevel: 4).verification
                                if let t = Self.kernelTime(v.log) { times.append(t) }
                                last = v
                            }
                            if let last, !times.isEmpty { out.append(((path as NSString).lastPathComponent, last, Self.median(times))) }
                        }
                    }
                    return out
                }
            }
        }
        for (object, verification, time) in results {
            guard let i = rows.firstIndex(where: { $0.object == object && $0.program == verification.program }) else { continue }
            rows[i].kernelAccepted = verification.accepted
            rows[i].kernelProcessed = verification.processedInstructions
            rows[i].kernelMicroseconds = time
        }
    }

    /// N of `verification time N usec`.
    static func kernelTime(_ log: String) -> Double? {
        for line in log.split(separator: "\n") where line.hasPrefix("verification time ") {
            let words = line.split(separator: " ")
            if words.count >= 3, let n = Double(words[2]) { return n }
        }
        return nil
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// The geometric mean of the simulated/kernel ratios.
    static func geometricMean(_ ratios: [Double]) -> Double? {
        guard !ratios.isEmpty else { return nil }
        return exp(ratios.map { log(max($0, 1e-9)) }.reduce(0, +) / Double(ratios.count))
    }

    static func table(_ rows: [Row], kernelNote: String?) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        let width = max(7, rows.map { $0.object.count + $0.program.count + 1 }.max() ?? 0)
        var lines = [
            pad("program", width) + "  verdict   " + lpad("insns", 7) + " " + lpad("kernel", 7) + "  " + lpad("ctsim µs", 9) + " "
                + lpad("kernel µs", 9) + "  " + lpad("ratio", 6)
        ]
        for r in rows {
            let verdict = r.accepted ? "accepted" : "rejected"
            lines.append(
                pad(r.object + ":" + r.program, width) + "  " + pad(verdict, 8) + "  " + lpad("\(r.processed)", 7) + " "
                    + lpad(r.kernelProcessed.map { "\($0)" } ?? "-", 7) + "  " + lpad(String(format: "%.0f", r.simulatedMicroseconds), 9) + " "
                    + lpad(r.kernelMicroseconds.map { String(format: "%.0f", $0) } ?? "-", 9) + "  "
                    + lpad(r.ratio.map { String(format: "%.2f", $0) } ?? "-", 6))
        }
        let simulated = rows.map(\.simulatedMicroseconds).reduce(0, +)
        var summary = "total: \(rows.count) programs, ctsim \(String(format: "%.0f", simulated)) µs"
        let timed = rows.filter { $0.kernelMicroseconds != nil }
        if !timed.isEmpty {
            let kernel = timed.compactMap(\.kernelMicroseconds).reduce(0, +)
            let ctsim = timed.map(\.simulatedMicroseconds).reduce(0, +)
            summary += String(format: "; on the %d the kernel timed: ctsim %.0f µs, kernel %.0f µs (%.2fx)", timed.count, ctsim, kernel, ctsim / max(kernel, 1))
            if let g = geometricMean(timed.compactMap(\.ratio)) {
                summary += String(format: ", geometric mean of ratios %.2f, largest %.2f", g, timed.compactMap(\.ratio).max() ?? 0)
            }
        }
        lines.append(summary)
        if let kernelNote { lines.append("kernel side: \(kernelNote)") }
        return lines.joined(separator: "\n")
    }

    static func json(_ rows: [Row], kernelNote: String?) -> JSON {
        .object([
            (
                "programs",
                .array(
                    rows.map { r in
                        .object([
                            ("object", .string(r.object)), ("program", .string(r.program)), ("accepted", .bool(r.accepted)),
                            ("processed_insns", .int(r.processed)), ("ctsim_usec", .double(r.simulatedMicroseconds)),
                            ("kernel_accepted", r.kernelAccepted.map(JSON.bool) ?? .null),
                            ("kernel_processed_insns", r.kernelProcessed.map { JSON.int($0) } ?? .null),
                            ("kernel_usec", r.kernelMicroseconds.map(JSON.double) ?? .null),
                        ])
                    })
            ),
            ("kernel_note", kernelNote.map(JSON.string) ?? .null),
        ])
    }
}
