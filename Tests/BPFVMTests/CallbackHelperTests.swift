import BPFObject
import BPFVM
import Testing

/// `bpf_loop` (181) and `bpf_for_each_map_elem` (164): callbacks into a BPF_PSEUDO_FUNC
/// subprogram with the kernel's return-value rules.
@Suite struct CallbackHelperTests {
    /// `main` then `callback`, with every `lddw %rN, 0x7777` of `main` turned into an `ld_imm64`
    /// BPF_PSEUDO_FUNC pointing at the callback's first instruction.
    static func program(main: String, callback: String) throws -> [Instruction] {
        var code = try Assembler.assemble(main)
        let start = code.count
        code += try Assembler.assemble(callback)
        for i in 0..<start where code[i].opcode == Opcode.loadImm64 && code[i].immediate == 0x7777 {
            code[i] = Instruction(
                opcode: Opcode.loadImm64, destination: code[i].destination, source: Opcode.pseudoFunc,
                immediate: Int32(start - (i + 1)))
        }
        return code
    }

    static func run(
        main: String, callback: String, on machine: BPFMachine = BPFMachine(), budget: Int? = nil
    ) throws -> UInt64 {
        let program = try machine.load(try program(main: main, callback: callback))
        return try machine.run(program, budget: budget)
    }

    /// ctx (a u64 on the caller's stack) += i; stop (return 1) when i == `stopAt`.
    static let summingCallback = """
        ldxdw %r3, [%r2]
        add %r3, %r1
        stxdw [%r2], %r3
        mov %r0, 0
        jne %r1, STOP, done
        mov %r0, 1
        done:
        exit
        """

    /// bpf_loop(count, callback, &sum, flags); returns sum * 1000 + bpf_loop's r0 (low 32 bits
    /// of the result for errno values), with r6 checked to survive (else 999999).
    static func loopMain(count: String, flags: Int = 0) -> String {
        """
        stdw [%r10-8], 0
        mov %r6, 77
        mov %r1, \(count)
        lddw %r2, 0x7777
        mov %r3, %r10
        add %r3, -8
        mov %r4, \(flags)
        call 181
        mov %r7, 999999
        jne %r6, 77, out
        ldxdw %r7, [%r10-8]
        mul %r7, 1000
        add %r7, %r0
        out:
        mov %r0, %r7
        exit
        """
    }

    @Test func loopRunsEveryIterationAndKeepsCalleeSavedRegisters() throws {
        let callback = Self.summingCallback.replacingOccurrences(of: "STOP", with: "-1")
        #expect(try Self.run(main: Self.loopMain(count: "10"), callback: callback) == 45 * 1000 + 10)
        #expect(try Self.run(main: Self.loopMain(count: "0"), callback: callback) == 0)
    }

    @Test func loopStopsWhenTheCallbackReturnsOne() throws {
        let callback = Self.summingCallback.replacingOccurrences(of: "STOP", with: "4")
        // Callbacks for i = 0...4 (sum 10); bpf_loop returns the number of calls, 5.
        #expect(try Self.run(main: Self.loopMain(count: "10"), callback: callback) == 10 * 1000 + 5)
    }

    @Test func loopRejectsFlagsAndTooManyLoops() throws {
        let callback = Self.summingCallback.replacingOccurrences(of: "STOP", with: "-1")
        let einval = UInt64(bitPattern: -22)
        let e2big = UInt64(bitPattern: -7)
        // No callback runs: the sum stays 0.
        #expect(try Self.run(main: Self.loopMain(count: "3", flags: 1), callback: callback) == einval)
        #expect(try Self.run(main: Self.loopMain(count: "0x800001"), callback: callback) == e2big)
        // 1 << 23 is allowed (the budget stops this one first).
        let error = vmError { _ = try Self.run(main: Self.loopMain(count: "0x800000"), callback: callback, budget: 10_000) }
        #expect(error?.kind == .budgetExhausted)
    }

    @Test func callbackPointerMustBeASubprogram() throws {
        let main = Self.loopMain(count: "2").replacingOccurrences(of: "lddw %r2, 0x7777", with: "mov %r2, 5")
        let error = vmError { _ = try Self.run(main: main, callback: "mov %r0, 0\nexit") }
        #expect(error?.kind == .helperFault)
    }

    /// for_each over map 0: the callback adds key * 100 + value to the u64 ctx and stops
    /// (returns 1) at key STOP. Returns ctx * 1000 + the helper's r0.
    static let forEachMain = """
        stdw [%r10-8], 0
        lddw %r1, map:0
        lddw %r2, 0x7777
        mov %r3, %r10
        add %r3, -8
        mov %r4, FLAGS
        call 164
        ldxdw %r6, [%r10-8]
        mul %r6, 1000
        add %r6, %r0
        mov %r0, %r6
        exit
        """

    static let forEachCallback = """
        ldxw %r6, [%r2]
        ldxw %r7, [%r3]
        mov %r8, %r6
        mul %r8, 100
        add %r8, %r7
        ldxdw %r9, [%r4]
        add %r9, %r8
        stxdw [%r4], %r9
        mov %r0, 0
        jne %r6, STOP, done
        mov %r0, 1
        done:
        exit
        """

    static func forEach(_ type: MapType, stop: Int, flags: Int = 0, fill: (BPFMap) -> Void) throws -> UInt64 {
        let machine = BPFMachine()
        let map = try machine.createMap(MapDefinition(name: "m", type: type, keySize: 4, valueSize: 4, maxEntries: 4))
        fill(map)
        return try Self.run(
            main: forEachMain.replacingOccurrences(of: "FLAGS", with: "\(flags)"),
            callback: forEachCallback.replacingOccurrences(of: "STOP", with: "\(stop)"), on: machine)
    }

    @Test func forEachVisitsEveryArrayIndex() throws {
        let fill: (BPFMap) -> Void = { map in
            for k in 0..<4 { map.update(key: le32(UInt32(k)), value: le32(UInt32(k + 1))) }
        }
        // Keys 0...3 with values 1...4: sum of key*100 + value = 600 + 10; 4 elements visited.
        #expect(try Self.forEach(.array, stop: -1, fill: fill) == 610 * 1000 + 4)
        // Stops at key 1: visited 0 and 1 (1 + 102), returns 2.
        #expect(try Self.forEach(.array, stop: 1, fill: fill) == 103 * 1000 + 2)
        #expect(try Self.forEach(.array, stop: -1, flags: 1, fill: fill) == UInt64(bitPattern: -22))
    }

    @Test func forEachVisitsHashElementsPresent() throws {
        let fill: (BPFMap) -> Void = { map in
            map.update(key: le32(7), value: le32(5))
            map.update(key: le32(9), value: le32(6))
        }
        #expect(try Self.forEach(.hash, stop: -1, fill: fill) == (705 + 906) * 1000 + 2)
        #expect(try Self.forEach(.hash, stop: -1, fill: { _ in }) == 0)
        let first = try Self.forEach(.hash, stop: 7, fill: fill)
        let second = try Self.forEach(.hash, stop: 9, fill: fill)
        // Whichever element comes first, stopping on it visits one element, stopping on the
        // other visits both.
        let both: UInt64 = (705 + 906) * 1000 + 2
        let results: Set<UInt64> = [first, second]
        let sevenFirst: Set<UInt64> = [705 * 1000 + 1, both]
        let nineFirst: Set<UInt64> = [906 * 1000 + 1, both]
        #expect(results == sevenFirst || results == nineFirst)
    }

    @Test func forEachKeyIsReadOnly() throws {
        let machine = BPFMachine()
        let map = try machine.createMap(MapDefinition(name: "m", type: .array, keySize: 4, valueSize: 4, maxEntries: 1))
        _ = map
        let error = vmError {
            _ = try Self.run(
                main: Self.forEachMain.replacingOccurrences(of: "FLAGS", with: "0"),
                callback: "stw [%r2], 1\nmov %r0, 0\nexit", on: machine)
        }
        #expect(error?.kind == .memoryFault)
    }
}
