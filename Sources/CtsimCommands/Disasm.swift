import ArgumentParser
import BPFObject
import Foundation

/// `ctsim disasm OBJECT [--program NAME]`: a BPF object's programs, relocated as libbpf loads them,
/// in the kernel verifier log's instruction syntax with the source lines from line_info.
struct Disasm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disasm",
        abstract: "Disassemble a BPF object's programs in the kernel verifier log syntax.",
        discussion: """
            Each program is linked with the .text subprograms it calls and relocated (maps, global data, \
            kfuncs, CO-RE against ctsim's built-in kernel types) before printing. Lines starting with ';' \
            are the C source from the object's line_info.
            """
    )

    @Argument(help: "A clang-built BPF object (clang -target bpf -O2 -g).")
    var object: String

    @Option(help: "Only this program (function name).")
    var program: String?

    func run() throws {
        guard let data = FileManager.default.contents(atPath: object) else {
            throw CommandFailure(.badInput, "\(object): cannot read the file")
        }
        let file: BPFObjectFile
        do {
            file = try BPFObjectFile(bytes: [UInt8](data), fileName: object)
        } catch {
            throw CommandFailure(.badInput, "\(object): \(error)")
        }
        var names = file.programs.map(\.name)
        if let program {
            guard names.contains(program) else {
                throw CommandFailure(.badInput, "\(object): no program named \(program) (programs: \(names.joined(separator: ", ")))")
            }
            names = [program]
        }
        guard !names.isEmpty else { throw CommandFailure(.badInput, "\(object): no programs") }
        for (n, name) in names.enumerated() {
            let loaded: LoadedProgram
            do {
                loaded = try file.load(name)
            } catch {
                throw CommandFailure(.badInput, "\(object): \(error)")
            }
            if n > 0 { Output.out("") }
            Output.out("\(loaded.name): \(loaded.type) section \(loaded.sectionName), \(loaded.instructions.count) instructions")
            for line in Disassembler(program: loaded).lines(loaded.instructions, lineInfo: loaded.lineInfo) { Output.out(line) }
        }
    }
}
