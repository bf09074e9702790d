import BPFObject
import BPFVM
import CtsimTesting
import Testing

/// The compiled code (`MachineConfiguration.jit`) against the interpreter: for every program,
/// the same result or the same error (kind, instruction, message), the same instruction count,
/// the same memory afterwards.
@Suite struct JITTests {
    /// What a run leaves that a program can influence.
    struct Observation: Equatable, CustomStringConvertible {
        var result: UInt64?
        var error: String?
        var executed: Int
        var buffer: [UInt8]
        var map: [[UInt8]]

        var description: String {
            "r0=\(result.map { String($0, radix: 16) } ?? "-") error=\(error ?? "-") executed=\(executed) buffer=\(buffer) map=\(map)"
        }
    }

    /// Loads and runs `program` on a fresh machine (a hash map, a 64-byte buffer in r1).
    static func observe(_ program: [Instruction], jit: Bool, budget: Int) -> (Observation, compiled: Int)? {
        var configuration = MachineConfiguration()
        configuration.jit = jit
        let machine = BPFMachine(configuration: configuration)
        guard let map = try? machine.createMap(MapDefinition(name: "m", type: .array, keySize: 4, valueSize: 8, maxEntries: 4))
        else { return nil }
        guard let loaded = try? machine.load(program) else { return nil }
        let address = machine.setBuffer((0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 5) })
        var observation = Observation(result: nil, error: nil, executed: 0, buffer: [], map: [])
        do {
            observation.result = try machine.run(loaded, r1: address, r2: 64, budget: budget)
        } catch {
            observation.error = "\(error.kind) at \(error.instruction): \(error.message)"
        }
        observation.executed = machine.executedInstructions
        observation.buffer = machine.bufferBytes
        observation.map = (0..<4).map { map.lookup(key: le32(UInt32($0))) ?? [] }
        return (observation, loaded.compiledSize)
    }

    static func compare(_ program: [Instruction], budget: Int, _ label: String) -> Bool {
        guard let (compiled, size) = observe(program, jit: true, budget: budget),
            let (interpreted, _) = observe(program, jit: false, budget: budget)
        else { return false }
        if BPFMachine.canCompile { #expect(size > 0, "\(label): not compiled") }
        #expect(compiled == interpreted, "\(label) budget \(budget)\n jit: \(compiled)\n int: \(interpreted)\n\(Disassembler().lines(program).joined(separator: "\n"))")
        return true
    }

    /// Compares `count` programs with budgets from `make`; returns how many loaded.
    static func compareMany(
        _ count: Int, _ label: String, _ g: inout SplitMix64, _ make: (inout SplitMix64) -> ([Instruction], Int)
    ) -> Int {
        var compared = 0
        for n in 0..<count {
            let (program, budget) = make(&g)
            if compare(program, budget: budget, "\(label) program \(n)") { compared += 1 }
        }
        return compared
    }

    @Test func compilesOnThisMachine() {
        // CI and this machine are x86-64 Linux: the compiled path is what the tests exercise.
        #if arch(x86_64) && os(Linux)
        #expect(BPFMachine.canCompile)
        #endif
    }

    /// Every conformance case gives the same outcome and instruction count both ways.
    @Test(.enabled(if: Corpus.available, "../shared/conformance is absent"), arguments: Corpus.files("tests"))
    func conformanceAgrees(_ name: String) throws {
        let text = try Corpus.text("tests", name)
        let compiled = ConformanceRunner.run(text: text, jit: true)
        let interpreted = ConformanceRunner.run(text: text, jit: false)
        #expect(compiled.passed, "\(name): \(compiled)")
        #expect("\(compiled)" == "\(interpreted)", "\(name)")
        if case .passed(_, let a) = compiled, case .passed(_, let b) = interpreted { #expect(a == b, "\(name)") }
    }

    /// The fuzzer's random bytecode (faults, loops, calls, atomics, noise), under budgets that
    /// run out anywhere in a block.
    @Test(arguments: 0..<4)
    func randomBytecodeAgrees(_ seed: Int) {
        var g = SplitMix64(seed: UInt64(seed) &* 104_729 &+ 17)
        let compared = Self.compareMany(3_000, "seed \(seed)", &g) { g in
            (FuzzTests.randomProgram(&g), [1, 2, 3, 4, 5, 7, 9, 12, 20, 10_000][Int(g.next() % 10)])
        }
        #expect(compared > 300)
    }

    /// Longer programs that mostly run: registers set first, memory on the stack, the buffer and
    /// a map value, every ALU and jump form, atomics, bpf-to-bpf calls, byte swaps.
    @Test(arguments: 0..<6)
    func structuredProgramsAgree(_ seed: Int) {
        var g = SplitMix64(seed: UInt64(seed) &* 7_777 &+ 3)
        let compared = Self.compareMany(400, "seed \(seed)", &g) { g in
            (Self.structuredProgram(&g), g.next() % 4 == 0 ? Int(g.next() % 200) + 1 : 100_000)
        }
        #expect(compared > 300, "\(compared) of 400 loaded")
    }

    /// A loop: the budget runs out at the same instruction with the same message, for every budget.
    @Test func budgetRunsOutAlike() throws {
        let program = try Assembler.assemble(
            """
            mov %r0, 0
            mov %r2, 0
            add %r0, 3
            stxdw [%r10-8], %r0
            ldxdw %r3, [%r10-8]
            add %r2, %r3
            jlt %r2, 1000000, -5
            exit
            """)
        for budget in 1...60 {
            let (compiled, _) = try #require(Self.observe(program, jit: true, budget: budget))
            let (interpreted, _) = try #require(Self.observe(program, jit: false, budget: budget))
            #expect(compiled == interpreted, "budget \(budget)")
            #expect(compiled.error?.contains("instruction budget of \(budget) ran out") == true)
        }
    }

    /// A fault part-way through a block counts only the instructions run.
    @Test func faultMidBlockCountsAlike() throws {
        let program = try Assembler.assemble(
            """
            mov %r0, 1
            add %r0, 2
            ldxdw %r2, [%r1+60]
            add %r0, 3
            add %r0, 4
            exit
            """)
        let (compiled, _) = try #require(Self.observe(program, jit: true, budget: 100))
        let (interpreted, _) = try #require(Self.observe(program, jit: false, budget: 100))
        #expect(compiled == interpreted)
        #expect(compiled.executed == 3)
        #expect(compiled.error?.contains("load of 8 bytes") == true)
    }

    /// Signed division hands over to the interpreter mid-program; the rest still agrees.
    @Test func handOverMidProgram() throws {
        let program = try Assembler.assemble(
            """
            mov %r0, -17
            sdiv %r0, 4
            stxdw [%r1+0], %r0
            mov %r3, 7
            smod %r3, -2
            add %r0, %r3
            exit
            """)
        let (compiled, _) = try #require(Self.observe(program, jit: true, budget: 100))
        let (interpreted, _) = try #require(Self.observe(program, jit: false, budget: 100))
        #expect(compiled == interpreted)
        #expect(compiled.result == UInt64(bitPattern: -4 + 1))
        #expect(compiled.executed == 7)
    }

    /// A tail call into a program whose bpf_loop callback runs in the interpreter (callbacks
    /// always do), under every budget from 1 up: the same result or error, count and map bytes.
    @Test func tailCallsAndCallbacksAgree() throws {
        func observe(jit: Bool, budget: Int) throws -> Observation {
            var configuration = MachineConfiguration()
            configuration.jit = jit
            let machine = BPFMachine(configuration: configuration)
            let jumps = try machine.createMap(MapDefinition(name: "jumps", type: .progArray, keySize: 4, valueSize: 4, maxEntries: 1))
            let count = try machine.createMap(MapDefinition(name: "count", type: .array, keySize: 4, valueSize: 8, maxEntries: 1))
            let looping = try machine.load(
                try CallbackHelperTests.program(
                    main: CallbackHelperTests.loopMain(count: "6"),
                    callback: CallbackHelperTests.summingCallback.replacingOccurrences(of: "STOP", with: "-1")))
            let entry = try machine.load(try Assembler.assemble(ControlTests.countingTailCall))
            #expect(jumps.update(key: le32(0), value: le32(UInt32(looping.index))) == 0)
            if jit && BPFMachine.canCompile { #expect(entry.compiledSize > 0 && looping.compiledSize > 0) }
            var observation = Observation(result: nil, error: nil, executed: 0, buffer: [], map: [])
            do {
                observation.result = try machine.run(entry, budget: budget)
            } catch {
                observation.error = "\(error.kind) at \(error.instruction): \(error.message)"
            }
            observation.executed = machine.executedInstructions
            observation.map = [count.lookup(key: le32(0)) ?? []]
            return observation
        }
        var results: Set<String> = []
        for budget in Array(1...90) + [100_000] {
            let compiled = try observe(jit: true, budget: budget)
            #expect(compiled == (try observe(jit: false, budget: budget)), "budget \(budget)")
            results.insert(compiled.result.map { "\($0)" } ?? "fault")
        }
        // Some budgets end inside the callback, the largest lets it finish: 15 * 1000 + 6.
        #expect(results.contains("15006") && results.contains("fault"))
    }

    /// The packet pointer fields of a rewritten context, served inline by the compiled code,
    /// follow the packet when a helper replaces it in the middle of a run.
    @Test func packetFieldsFollowAReplacedPacket() throws {
        func observe(jit: Bool) throws -> UInt64 {
            var configuration = MachineConfiguration()
            configuration.jit = jit
            var helpers = HelperTable.standard
            helpers.register(Helper(id: 200, name: "test_replace_packet") { call in
                call.machine.packet = PacketBuffer([UInt8](repeating: 7, count: 300))
                return .value(0)
            })
            let machine = BPFMachine(configuration: configuration, helpers: helpers)
            [UInt8](repeating: 1, count: 60).withUnsafeBytes { machine.setPacket($0) }
            machine.contextPacketFields = .xdp
            let context = machine.setContext([UInt8](repeating: 0, count: 24), rewritten: true)
            let program = try machine.load(
                try Assembler.assemble(
                    """
                    mov %r6, %r1
                    ldxw %r2, [%r6+0]
                    ldxw %r3, [%r6+4]
                    mov %r7, %r3
                    sub %r7, %r2
                    call 200
                    ldxw %r2, [%r6+0]
                    ldxw %r3, [%r6+4]
                    ldxb %r4, [%r2+299]
                    sub %r3, %r2
                    lsh %r3, 16
                    lsh %r4, 32
                    or %r3, %r7
                    or %r3, %r4
                    mov %r0, %r3
                    exit
                    """))
            if jit && BPFMachine.canCompile { #expect(program.compiledSize > 0) }
            return try machine.run(program, r1: context)
        }
        let compiled = try observe(jit: true)
        #expect(compiled == (try observe(jit: false)))
        #expect(compiled == 7 << 32 | 300 << 16 | 60)
    }

    // MARK: Generator

    static func structuredProgram(_ g: inout SplitMix64) -> [Instruction] {
        var main: [Instruction] = []
        // r0-r9 get values (r1 keeps the buffer address).
        for r: UInt8 in [0, 2, 3, 4, 5, 6, 7, 8, 9] {
            let v = g.next()
            if v % 3 == 0 {
                main.append(Instruction(opcode: 0x18, destination: r, immediate: Int32(truncatingIfNeeded: v >> 8)))
                main.append(Instruction(opcode: 0, immediate: Int32(truncatingIfNeeded: v >> 40)))
            } else {
                main.append(Instruction(opcode: 0xB7, destination: r, immediate: Int32(truncatingIfNeeded: Int64(v >> 33) % 4096 - 2048)))
            }
        }
        let body = Int(g.next() % 40) + 10
        let subprogram = Int(g.next() % 2) == 0
        var slots: [[Instruction]] = []
        for _ in 0..<body { slots.append(Self.structuredInstruction(&g, subprogram: subprogram)) }
        // Jumps stay within the body; a call's immediate is patched to the subprogram below.
        var flat: [Instruction] = main
        var positions: [Int] = []
        for s in slots {
            positions.append(flat.count)
            flat += s
        }
        let end = flat.count
        flat.append(Instruction(opcode: 0x95))
        let sub = flat.count
        flat.append(Instruction(opcode: 0xB7, destination: 0, immediate: 9))
        flat.append(Instruction(opcode: 0x07, destination: 0, immediate: 1))
        flat.append(Instruction(opcode: 0x7B, destination: 10, source: 0, offset: -16))
        flat.append(Instruction(opcode: 0x95))
        for (k, p) in positions.enumerated() {
            var insn = flat[p]
            let cls = insn.opcode & 7
            if insn.opcode == 0x85, insn.source == 1 {
                insn.immediate = Int32(sub - p - 1)
            } else if (cls == 5 || cls == 6), insn.opcode != 0x85, insn.opcode != 0x95 {
                // forward mostly, sometimes back (a loop the budget or may_goto ends)
                let target = g.next() % 5 == 0 ? positions[Int(g.next() % UInt64(k + 1))] : (k + 1 < positions.count ? positions[k + 1 + Int(g.next() % UInt64(positions.count - k - 1))] : end)
                let offset = target - p - 1
                if insn.opcode == 0x06 { insn.immediate = Int32(offset) } else { insn.offset = Int16(offset) }
            }
            flat[p] = insn
        }
        return flat
    }

    static let aluOpcodes: [UInt8] = [
        0x07, 0x0F, 0x17, 0x1F, 0x27, 0x2F, 0x37, 0x3F, 0x47, 0x4F, 0x57, 0x5F, 0x67, 0x6F, 0x77, 0x7F, 0x87, 0x97,
        0x9F, 0xA7, 0xAF, 0xB7, 0xBF, 0xC7, 0xCF, 0x04, 0x0C, 0x14, 0x1C, 0x24, 0x2C, 0x34, 0x3C, 0x44, 0x4C, 0x54,
        0x5C, 0x64, 0x6C, 0x74, 0x7C, 0x84, 0x94, 0x9C, 0xA4, 0xAC, 0xB4, 0xBC, 0xC4, 0xCC,
    ]
    static let jumpOpcodes: [UInt8] = [
        0x05, 0x15, 0x1D, 0x25, 0x2D, 0x35, 0x3D, 0x45, 0x4D, 0x55, 0x5D, 0x65, 0x6D, 0x75, 0x7D, 0xA5, 0xAD, 0xB5,
        0xBD, 0xC5, 0xCD, 0xD5, 0xDD, 0x16, 0x1E, 0x26, 0x2E, 0x36, 0x3E, 0x46, 0x4E, 0x56, 0x5E, 0x66, 0x6E, 0x76,
        0x7E, 0xA6, 0xAE, 0xB6, 0xBE, 0xC6, 0xCE, 0xD6, 0xDE, 0xE5,
    ]

    static func structuredInstruction(_ g: inout SplitMix64, subprogram: Bool) -> [Instruction] {
        let r = g.next()
        let dst = [0, 2, 3, 4, 5, 6, 7, 8, 9][Int(r >> 4) % 9] as UInt8
        let src = UInt8(truncatingIfNeeded: r >> 12) % 10
        let immediate: Int32 =
            switch r >> 60 {
            case 0, 1, 2, 3, 4, 5: Int32(truncatingIfNeeded: Int64(r >> 20) % 64 - 16)
            case 6, 7: 0
            case 8: -1
            case 9: Int32.min
            default: Int32(truncatingIfNeeded: r >> 24)
            }
        switch r % 16 {
        case 0...5:
            let opcode = aluOpcodes[Int(r >> 28) % aluOpcodes.count]
            let byRegister = opcode & 8 != 0
            var insn = Instruction(opcode: opcode, destination: dst)
            if byRegister { insn.source = src } else if opcode & 0xF0 != 0x80 { insn.immediate = immediate }
            // Signed division and modulo (offset 1), movsx (offset 8/16/32), now and then.
            if (opcode & 0xF0 == 0x30 || opcode & 0xF0 == 0x90), r >> 55 & 3 == 0 { insn.offset = 1 }
            if opcode & 0xF0 == 0xB0, byRegister, r >> 55 & 3 == 0 { insn.offset = [8, 16, 32][Int(r >> 57) % 3] }
            if opcode == 0xBC, insn.offset == 32 { insn.offset = 16 }
            return [insn]
        case 6:
            // Byte order: le/be 16/32/64 (ALU), bswap (ALU64).
            let opcode: UInt8 = [0xD4, 0xDC, 0xD7][Int(r >> 30) % 3]
            return [Instruction(opcode: opcode, destination: dst, immediate: [16, 32, 64][Int(r >> 34) % 3])]
        case 7, 8:
            let opcode = jumpOpcodes[Int(r >> 28) % jumpOpcodes.count]
            var insn = Instruction(opcode: opcode, destination: dst)
            if opcode == 0xE5 || opcode == 0x05 { return [Instruction(opcode: opcode)] }  // may_goto, ja
            if opcode & 8 != 0 { insn.source = src } else { insn.immediate = immediate }
            return [insn]
        case 9, 10:
            // Loads: the stack, the buffer (r1), now and then out of bounds.
            let opcode: UInt8 = [0x71, 0x69, 0x61, 0x79, 0x91, 0x89, 0x81][Int(r >> 28) % 7]
            let stack = r >> 40 & 1 == 0
            let offset = stack ? -Int16(truncatingIfNeeded: Int64(r >> 41) % 64 + 1) : Int16(truncatingIfNeeded: Int64(r >> 41) % (r >> 50 & 15 == 0 ? 80 : 56))
            return [Instruction(opcode: opcode, destination: dst, source: stack ? 10 : 1, offset: offset)]
        case 11, 12:
            let opcode: UInt8 = [0x73, 0x6B, 0x63, 0x7B, 0x72, 0x6A, 0x62, 0x7A][Int(r >> 28) % 8]
            let stack = r >> 40 & 1 == 0
            let offset = stack ? -Int16(truncatingIfNeeded: Int64(r >> 41) % 64 + 1) : Int16(truncatingIfNeeded: Int64(r >> 41) % (r >> 50 & 15 == 0 ? 80 : 56))
            let byRegister = opcode & 7 == 3
            return [Instruction(opcode: opcode, destination: stack ? 10 : 1, source: byRegister ? src : 0, offset: offset, immediate: byRegister ? 0 : immediate)]
        case 13:
            // Atomics on the stack or the buffer, aligned.
            let wide = r >> 28 & 1 == 0
            let stack = r >> 29 & 1 == 0
            let operation: Int32 = [0, 0x40, 0x50, 0xA0, 1, 0x41, 0x51, 0xA1, 0xE1, 0xF1][Int(r >> 30) % 10]
            let offset = Int16(truncatingIfNeeded: Int64(r >> 36) % 6 + 1) * (wide ? 8 : 4)
            return [Instruction(opcode: wide ? 0xDB : 0xC3, destination: stack ? 10 : 1, source: src, offset: stack ? -offset : offset - 4, immediate: operation)]
        case 14:
            if subprogram { return [Instruction(opcode: 0x85, source: 1, immediate: 0)] }
            return [Instruction(opcode: 0x85, immediate: [5, 7, 8][Int(r >> 30) % 3])]
        default:
            // A map value: bpf_map_lookup_elem on the array, then a store through it when found.
            return [
                Instruction(opcode: 0x18, destination: 1, source: 1, immediate: 0), Instruction(opcode: 0),
                Instruction(opcode: 0x62, destination: 10, offset: -4, immediate: Int32(r >> 40 & 3)),
                Instruction(opcode: 0xBF, destination: 2, source: 10), Instruction(opcode: 0x07, destination: 2, immediate: -4),
                Instruction(opcode: 0x85, immediate: 1),
                Instruction(opcode: 0x15, destination: 0, offset: 1),
                Instruction(opcode: 0x7A, destination: 0, offset: 0, immediate: Int32(truncatingIfNeeded: r >> 20)),
            ]
        }
    }
}
