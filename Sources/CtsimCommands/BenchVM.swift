import ArgumentParser
import BPFObject
import BPFVM
import Foundation

/// `ctsim bench vm`: interpreter throughput in instructions per second, on the conformance
/// suite's loop programs (repeated), the suite's prime test scaled up, and an ALU-heavy loop.
struct BenchVM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vm",
        abstract: "VM throughput (instructions/s) on conformance loop programs and an ALU-heavy loop."
    )

    @Option(help: "The conformance tests folder.")
    var corpus = "../shared/conformance/bpf_conformance/tests"

    @Option(help: "Iterations of the ALU loop.")
    var iterations = 20_000_000

    @Flag(help: "Print JSON.")
    var json = false

    static let aluLoop = """
        mov %r0, 0
        mov %r1, 0
        mov %r3, 0x12345
        loop:
        add %r0, %r1
        xor %r0, %r3
        mul %r3, 3
        lsh %r3, 1
        rsh %r3, 1
        add32 %r4, %r0
        sub %r0, 7
        or %r3, 1
        add %r1, 1
        jlt %r1, %r2, loop
        exit
        """

    func run() throws {
        guard iterations > 0 else { throw CommandFailure(.badInput, "--iterations must be positive") }
        var results: [BenchResult] = []

        // 1. The suite's programs with loops (more instructions executed than slots), repeated.
        if let names = try? FileManager.default.contentsOfDirectory(atPath: corpus) {
            var loops: [(VMProgram, BPFMachine, UInt64, UInt64, Int)] = []
            for name in names.sorted() where name.hasSuffix(".data") {
                guard let data = FileManager.default.contents(atPath: corpus + "/" + name),
                    let testCase = try? ConformanceCase.parse(String(decoding: data, as: UTF8.self)),
                    let instructions = testCase.raw ?? testCase.assembly.flatMap({ try? Assembler.assemble($0) })
                else { continue }
                let machine = ConformanceRunner.machine()
                guard let program = try? machine.load(instructions) else { continue }
                let address = machine.setBuffer(testCase.memory)
                let r2 = UInt64(testCase.memory.count)
                guard (try? machine.run(program, r1: address, r2: r2)) != nil, machine.executedInstructions > instructions.count else { continue }
                loops.append((program, machine, address, r2, machine.executedInstructions))
            }
            if !loops.isEmpty {
                let perRound = loops.reduce(0) { $0 + $1.4 }
                let rounds = max(1, 20_000_000 / perRound)
                var total = 0
                let watch = Stopwatch()
                for _ in 0..<rounds {
                    for (program, machine, address, r2, _) in loops {
                        _ = try? machine.run(program, r1: address, r2: r2)
                        total += machine.executedInstructions
                    }
                }
                let (wall, cpu) = watch.elapsed()
                results.append(BenchResult(name: "conformance loops (\(loops.count) programs)", items: total, unit: "instructions", wall: wall, cpu: cpu))

                // prime.data with a large prime: one long loop.
                if let data = FileManager.default.contents(atPath: corpus + "/prime.data"),
                    let testCase = try? ConformanceCase.parse(String(decoding: data, as: UTF8.self)),
                    let assembly = testCase.assembly
                {
                    let scaled = assembly.replacingOccurrences(of: "mov %r1, 67", with: "mov %r1, 1000003")
                    let machine = ConformanceRunner.machine()
                    let program = try machine.load(try Assembler.assemble(scaled))
                    var executed = 0
                    let watch = Stopwatch()
                    for _ in 0..<3 {
                        _ = try machine.run(program, budget: Int.max)
                        executed += machine.executedInstructions
                    }
                    let (wall, cpu) = watch.elapsed()
                    results.append(BenchResult(name: "prime.data (r1 = 1000003)", items: executed, unit: "instructions", wall: wall, cpu: cpu))
                }
            }
        } else {
            Output.err("ctsim: bench vm: \(corpus) is absent; only the ALU loop runs")
        }

        // 2. The ALU-heavy loop.
        let machine = BPFMachine()
        let program = try machine.load(try Assembler.assemble(Self.aluLoop))
        let watch = Stopwatch()
        _ = try machine.run(program, r2: UInt64(iterations), budget: Int.max)
        let (wall, cpu) = watch.elapsed()
        results.append(BenchResult(name: "ALU loop", items: machine.executedInstructions, unit: "instructions", wall: wall, cpu: cpu))

        if json {
            Output.out(JSON.array(results.map(\.json)).serialized())
        } else {
            // The machine may be shared: instructions per CPU second is the steadier figure.
            for result in results {
                Output.out(result.text + "; \(Int((Double(result.items) / max(result.cpu, 1e-9)).rounded())) per cpu-second")
            }
        }
    }
}
