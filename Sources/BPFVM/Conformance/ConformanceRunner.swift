import BPFObject

/// How one conformance case came out.
public enum ConformanceOutcome: Sendable, CustomStringConvertible {
    /// The result (or the expected run-time error) matched.
    case passed(result: UInt64?, instructions: Int)
    /// The file does not parse, or holds no program.
    case malformed(String)
    /// The assembler refused the `-- asm` section.
    case assemblerRejected(AssemblerError)
    /// The VM's loader refused the program (reserved fields, unknown opcodes, bad jumps...).
    case loaderRejected(VMError)
    /// The program faulted at run time where a result was expected.
    case faulted(VMError)
    /// The program ran but returned another value.
    case mismatch(expected: UInt64, actual: UInt64)
    /// An error was expected and the program ran to a result.
    case unexpectedSuccess(actual: UInt64)

    public var passed: Bool {
        if case .passed = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .passed(let r, _): "pass" + (r.map { " (r0 = 0x\(String($0, radix: 16)))" } ?? " (failed as expected)")
        case .malformed(let m): "malformed test: \(m)"
        case .assemblerRejected(let e): "assembler: \(e)"
        case .loaderRejected(let e): "rejected at load: \(e)"
        case .faulted(let e): "fault: \(e)"
        case .mismatch(let x, let a): "expected 0x\(String(x, radix: 16)), got 0x\(String(a, radix: 16))"
        case .unexpectedSuccess(let a): "expected an error, got r0 = 0x\(String(a, radix: 16))"
        }
    }
}

/// Runs conformance cases on fresh machines with the suite's helper table.
public enum ConformanceRunner {
    /// The suite's only helper: number 5 returns its first argument and, when that is 0, stops
    /// the program with r0 = 0.
    public static var helpers: HelperTable {
        HelperTable([
            Helper(id: 5, name: "conformance_unwind") { call in call.r1 == 0 ? .exit(0) : .value(call.r1) }
        ])
    }

    /// A machine set up as the suite's runner expects.
    /// - Parameter jit: whether the machine compiles programs (`MachineConfiguration.jit`).
    public static func machine(jit: Bool = MachineConfiguration.jitDefault) -> BPFMachine {
        var configuration = MachineConfiguration()
        configuration.jit = jit
        return BPFMachine(configuration: configuration, helpers: helpers)
    }

    /// Runs `instructions` with `memory` as the suite does (r1 = its address, r2 = its length).
    /// - Throws: `VMError` from loading or running.
    public static func execute(_ instructions: [Instruction], memory: [UInt8], budget: Int = 1_000_000)
        throws(VMError) -> (result: UInt64, instructions: Int)
    {
        let machine = machine()
        let program = try machine.load(instructions, name: "conformance")
        let address = machine.setBuffer(memory)
        let result = try machine.run(program, r1: memory.isEmpty ? 0 : address, r2: UInt64(memory.count), budget: budget)
        return (result, machine.executedInstructions)
    }

    /// Parses and runs one test file's text.
    public static func run(text: String, jit: Bool = MachineConfiguration.jitDefault) -> ConformanceOutcome {
        let testCase: ConformanceCase
        do {
            testCase = try ConformanceCase.parse(text)
        } catch {
            return .malformed(error.description)
        }
        return run(testCase, jit: jit)
    }

    public static func run(_ testCase: ConformanceCase, jit: Bool = MachineConfiguration.jitDefault) -> ConformanceOutcome {
        var instructions: [Instruction]
        if let raw = testCase.raw {
            instructions = raw
        } else if let assembly = testCase.assembly {
            do {
                instructions = try Assembler.assemble(assembly, firstLine: testCase.assemblyFirstLine)
            } catch {
                return .assemblerRejected(error)
            }
        } else {
            return .malformed("no program (neither an asm nor a raw section)")
        }
        guard !instructions.isEmpty else {
            let unknown = testCase.unknownSections.isEmpty ? "" : " (unknown sections: \(testCase.unknownSections.map { "'-- \($0)'" }.joined(separator: ", ")))"
            return .malformed("the program has no instructions\(unknown)")
        }
        guard testCase.expectedResult != nil || testCase.expectedError != nil else {
            return .malformed("no result or error section")
        }
        let machine = machine(jit: jit)
        let program: VMProgram
        do {
            program = try machine.load(instructions, name: "conformance")
        } catch {
            return .loaderRejected(error)
        }
        let address = machine.setBuffer(testCase.memory)
        do {
            let r0 = try machine.run(program, r1: testCase.memory.isEmpty ? 0 : address, r2: UInt64(testCase.memory.count), budget: 1_000_000)
            if testCase.expectedError != nil { return .unexpectedSuccess(actual: r0) }
            guard let expected = testCase.expectedResult, expected == r0 else {
                return .mismatch(expected: testCase.expectedResult ?? 0, actual: r0)
            }
            return .passed(result: r0, instructions: machine.executedInstructions)
        } catch {
            if testCase.expectedError != nil { return .passed(result: nil, instructions: machine.executedInstructions) }
            return .faulted(error)
        }
    }
}
