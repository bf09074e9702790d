import BPFObject
import BPFVM
import Testing

@Suite struct MemoryTests {
    @Test func stackPointerArithmeticAndBounds() throws {
        #expect(try run("stdw [%r10-8], 7\nmov %r1, %r10\nadd %r1, -8\nldxdw %r0, [%r1]\nexit") == 7)
        // r10 itself is one past the frame: no byte there.
        let above = vmError { _ = try run("ldxb %r0, [%r10]\nexit") }
        #expect(above?.kind == .memoryFault && above?.instruction == 0)
        #expect(above?.message == "load of 1 bytes at stack+4096: outside the region")
        // Below all 8 frames.
        let below = vmError { _ = try run("stdw [%r10-4100], 1\nexit") }
        #expect(below?.kind == .memoryFault && below?.message.contains("store of 8 bytes") == true)
    }

    @Test func nullAndForgedPointersFault() {
        let null = vmError { _ = try run("mov %r1, 0\nldxw %r0, [%r1+16]\nexit") }
        #expect(null?.kind == .memoryFault && null?.instruction == 1)
        #expect(null?.message.contains("not a pointer") == true)
        // A forged address with a huge tag and one just below a region's start both fault.
        #expect(vmError { _ = try run("lddw %r1, 0xffffffff00000000\nldxb %r0, [%r1]\nexit") }?.kind == .memoryFault)
        #expect(vmError { _ = try run("mov %r1, %r10\nlddw %r2, 0x100000000\nsub %r1, %r2\nldxb %r0, [%r1]\nexit") }?.kind == .memoryFault)
    }

    @Test func bufferAccessIsBoundedByItsLength() throws {
        let machine = BPFMachine()
        let address = machine.setBuffer([1, 2, 3, 4])
        #expect(try run("ldxw %r0, [%r1]\nexit", on: machine, r1: address) == 0x0403_0201)
        let error = vmError { _ = try run("ldxw %r0, [%r1+1]\nexit", on: machine, r1: address) }
        #expect(error?.message == "load of 4 bytes at memory buffer+1: outside the region")
        #expect(try run("stb [%r1+3], 9\nmov %r0, 0\nexit", on: machine, r1: address) == 0)
        #expect(machine.bufferBytes == [1, 2, 3, 9])
    }

    @Test func readOnlyMapValuesRejectStores() throws {
        let machine = BPFMachine()
        try machine.createMap(MapDefinition(name: ".rodata", type: .array, keySize: 4, valueSize: 8, maxEntries: 1, flags: 1 << 7, initialValue: le64(42)))
        #expect(try run("lddw %r1, mapvalue:0:0\nldxdw %r0, [%r1]\nexit", on: machine) == 42)
        let error = vmError { _ = try run("lddw %r1, mapvalue:0:0\nstdw [%r1], 1\nexit", on: machine) }
        #expect(error?.kind == .memoryFault && error?.message.contains("read-only") == true)
    }

    /// A rewritten context: every access goes to the hook.
    @Test func contextAccessHook() throws {
        final class Fields: ContextAccess {
            var stored: [Int: UInt64] = [:]
            func load(offset: Int, size: Int, machine: BPFMachine) -> UInt64? { offset == 4 && size == 4 ? 0x77 : nil }
            func store(offset: Int, size: Int, value: UInt64, machine: BPFMachine) -> Bool {
                guard offset == 8 else { return false }
                stored[offset] = value
                return true
            }
        }
        let machine = BPFMachine()
        let fields = Fields()
        machine.contextAccess = fields
        let ctx = machine.setContext([], rewritten: true)
        #expect(try run("ldxw %r0, [%r1+4]\nstw [%r1+8], 5\nexit", on: machine, r1: ctx) == 0x77)
        #expect(fields.stored[8] == 5)
        let bad = vmError { _ = try run("ldxw %r0, [%r1]\nexit", on: machine, r1: ctx) }
        #expect(bad?.kind == .memoryFault && bad?.message == "invalid context access: load of 4 bytes at offset 0")
    }

    /// Published packet fields: 4-byte loads of data, data_end, data_meta are served by the
    /// machine from its packet; everything else (other sizes, no packet, a plain context) is not.
    @Test func contextPacketFieldsServedByTheMachine() throws {
        final class Fields: ContextAccess {
            func load(offset: Int, size: Int, machine: BPFMachine) -> UInt64? { offset == 12 && size == 4 ? 0x77 : nil }
            func store(offset: Int, size: Int, value: UInt64, machine: BPFMachine) -> Bool { false }
        }
        let machine = BPFMachine()
        let fields = Fields()
        machine.contextAccess = fields
        machine.contextPacketFields = .xdp
        let ctx = machine.setContext([], rewritten: true)
        [UInt8](repeating: 0xAB, count: 60).withUnsafeBytes { machine.setPacket($0) }
        let pointers = try #require(machine.packetPointers)
        #expect(try run("ldxw %r0, [%r1+0]\nexit", on: machine, r1: ctx) == pointers.data)
        #expect(try run("ldxw %r0, [%r1+4]\nexit", on: machine, r1: ctx) == pointers.end)
        #expect(try run("ldxw %r0, [%r1+8]\nexit", on: machine, r1: ctx) == pointers.meta)
        // The pointers are usable packet pointers: the length, and the first byte.
        #expect(try run("ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r0, %r3\nsub %r0, %r2\nexit", on: machine, r1: ctx) == 60)
        #expect(try run("ldxw %r2, [%r1+0]\nldxb %r0, [%r2+0]\nexit", on: machine, r1: ctx) == 0xAB)
        #expect(try run("ldxw %r0, [%r1+12]\nexit", on: machine, r1: ctx) == 0x77)
        let narrow = vmError { _ = try run("ldxh %r0, [%r1+0]\nexit", on: machine, r1: ctx) }
        #expect(narrow?.message == "invalid context access: load of 2 bytes at offset 0")
        machine.packet = nil
        let noPacket = vmError { _ = try run("ldxw %r0, [%r1+4]\nexit", on: machine, r1: ctx) }
        #expect(noPacket?.message == "invalid context access: load of 4 bytes at offset 4")
        [UInt8](repeating: 0, count: 20).withUnsafeBytes { machine.setPacket($0) }
        let plain = machine.setContext([9, 0, 0, 0, 0, 0, 0, 0])
        #expect(try run("ldxw %r0, [%r1+0]\nexit", on: machine, r1: plain) == 9)
        let outside = vmError { _ = try run("ldxw %r0, [%r1+8]\nexit", on: machine, r1: plain) }
        // Offset 8 is data_meta's, but a plain context's bytes end there: a fault, not a pointer.
        #expect(outside?.kind == .memoryFault && outside?.message == "invalid context access: load of 4 bytes at offset 8")
    }
}

@Suite struct ControlTests {
    @Test func budgetStopsInfiniteLoops() {
        let error = vmError { _ = try run("mov %r0, 0\nloop:\nadd %r0, 1\nja loop", budget: 1000) }
        #expect(error?.kind == .budgetExhausted)
        #expect(error?.message == "the instruction budget of 1000 ran out")
    }

    @Test func callsNestEightFramesAndPreserveCalleeSaved() throws {
        // Recursion: depth n calls itself until r1 reaches 0.
        let source = """
            mov %r6, 99
            call local f
            add %r0, %r6
            exit
            f:
            jeq %r1, 0, leaf
            sub %r1, 1
            mov %r6, 0
            stdw [%r10-8], 1
            call local f
            ldxdw %r2, [%r10-8]
            add %r0, %r2
            exit
            leaf:
            mov %r0, 0
            exit
            """
        #expect(try run(source, r1: 6) == 99 + 6)  // 8 frames: main + 7 nested
        let error = vmError { _ = try run(source, r1: 7) }
        #expect(error?.kind == .callDepth && error?.instruction == 8)
    }

    /// Adds 1 to map 1's value at key 0, tail-calls slot 0 of map 0 (a prog array), then (when
    /// the call fails) returns 7.
    static let countingTailCall = """
        lddw %r2, mapvalue:1:0
        mov %r3, 1
        lock add [%r2], %r3
        lddw %r2, map:0
        mov %r3, 0
        call 12
        mov %r0, 7
        exit
        """

    @Test func tailCallsStopAfter33() throws {
        let machine = BPFMachine()
        try machine.createMap(MapDefinition(name: "jumps", type: .progArray, keySize: 4, valueSize: 4, maxEntries: 4))
        try machine.createMap(MapDefinition(name: "count", type: .array, keySize: 4, valueSize: 8, maxEntries: 1))
        // Counts its runs in count[0], then tail-calls slot 0 (itself).
        let program = try machine.load(try Assembler.assemble(Self.countingTailCall))
        #expect(machine.maps[0].update(key: le32(0), value: le32(UInt32(program.index))) == 0)
        #expect(try machine.run(program) == 7)
        #expect(machine.maps[1].lookup(key: le32(0)) == le64(34))
        // An empty slot: the call fails and the program goes on.
        #expect(machine.maps[0].delete(key: le32(0)) == 0)
        #expect(try machine.run(program) == 7)
    }

    @Test func unknownHelpersAreLoadErrorsNamingThem() {
        let error = vmError { _ = try run("call 4\nexit") }
        #expect(error?.kind == .unknownCall && error?.instruction == 0)
        #expect(error?.message == "call to helper 4 (bpf_probe_read), which the VM does not model")
        let kfunc = vmError { _ = try BPFMachine().load([Instruction(opcode: 0x85, source: 2, immediate: 1234), Instruction(opcode: 0x95)]) }
        #expect(kfunc?.message == "call to kfunc with BTF id 1234, which the VM does not model")
    }

    @Test func kfuncsResolveByName() throws {
        let machine = BPFMachine()
        machine.kfuncs.register(Kfunc(name: "bpf_test_double") { call in .value(call.r1 &* 2) })
        let program = try machine.load(
            [Instruction(opcode: 0xB7, destination: 1, immediate: 21), Instruction(opcode: 0x85, source: 2, immediate: 99), Instruction(opcode: 0x95)],
            options: LoadOptions(kfuncNames: [1: "bpf_test_double"]))
        #expect(try machine.run(program) == 42)
    }

    @Test(arguments: [
        ([Instruction(opcode: 0x07, destination: 0, offset: 1)], "reserved offset"),
        ([Instruction(opcode: 0xB7, destination: 10, immediate: 1)], "r10 (the frame pointer) is read only"),
        ([Instruction(opcode: 0xB7, destination: 11)], "invalid register r11"),
        ([Instruction(opcode: 0x05, offset: 5)], "jump out of range"),
        ([Instruction(opcode: 0x05, offset: 1), Instruction(opcode: 0x18), Instruction(opcode: 0)], "middle of ld_imm64"),
        ([Instruction(opcode: 0x18)], "second slot"),
        ([Instruction(opcode: 0xFF)], "unknown"),
        ([Instruction(opcode: 0x30)], "legacy packet access"),
        ([Instruction(opcode: 0xDF, immediate: 16)], "unknown byte-swap"),
        ([Instruction(opcode: 0xD4, immediate: 8)], "width 8"),
        ([Instruction(opcode: 0xDB, immediate: 0x11)], "unknown atomic"),
        ([Instruction(opcode: 0x18, source: 1, immediate: 3), Instruction(opcode: 0)], "map 3, which does not exist"),
    ] as [([Instruction], String)])
    func loaderRejects(_ program: [Instruction], _ message: String) {
        let error = vmError { _ = try BPFMachine().load(program + [Instruction(opcode: 0x95)]) }
        #expect(error != nil && error!.message.contains(message), "\(String(describing: error))")
    }

    @Test func emptyProgramIsRejected() {
        #expect(vmError { _ = try BPFMachine().load([]) }?.kind == .invalidProgram)
    }
}
