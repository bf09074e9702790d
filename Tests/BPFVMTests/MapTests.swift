import BPFObject
import BPFVM
import Testing

@Suite struct MapTests {
    /// Runs map_update_elem from a program: key in [r10-8], value in [r10-16], flags in r4.
    func programUpdate(_ machine: BPFMachine, map: Int, key: UInt32, value: UInt64, flags: Int) throws -> Int64 {
        Int64(bitPattern: try run("""
            stw [%r10-8], \(key)
            stdw [%r10-16], \(value)
            lddw %r1, map:\(map)
            mov %r2, %r10
            add %r2, -8
            mov %r3, %r10
            add %r3, -16
            mov %r4, \(flags)
            call 2
            exit
            """, on: machine))
    }

    @Test func hashUpdateFlagsAndErrnos() throws {
        let machine = BPFMachine()
        try machine.createMap(MapDefinition(name: "h", type: .hash, keySize: 4, valueSize: 8, maxEntries: 2))
        #expect(try programUpdate(machine, map: 0, key: 1, value: 10, flags: 2) == -2)  // EXIST on a missing key: -ENOENT
        #expect(try programUpdate(machine, map: 0, key: 1, value: 10, flags: 1) == 0)  // NOEXIST
        #expect(try programUpdate(machine, map: 0, key: 1, value: 11, flags: 1) == -17)  // -EEXIST
        #expect(try programUpdate(machine, map: 0, key: 1, value: 12, flags: 2) == 0)
        #expect(try programUpdate(machine, map: 0, key: 2, value: 20, flags: 0) == 0)
        #expect(try programUpdate(machine, map: 0, key: 3, value: 30, flags: 0) == -7)  // full: -E2BIG
        #expect(try programUpdate(machine, map: 0, key: 3, value: 30, flags: 3) == -22)  // bad flags: -EINVAL
        #expect(machine.maps[0].lookup(key: le32(1)) == le64(12))
        #expect(machine.maps[0].delete(key: le32(1)) == 0)
        #expect(machine.maps[0].delete(key: le32(1)) == -2)
        #expect(try programUpdate(machine, map: 0, key: 3, value: 30, flags: 0) == 0)  // the freed slot is reused
        #expect(Set(machine.maps[0].keys) == [le32(2), le32(3)])
    }

    @Test func lookupGivesAWritablePointerOrNull() throws {
        let machine = BPFMachine()
        try machine.createMap(MapDefinition(name: "a", type: .array, keySize: 4, valueSize: 4, maxEntries: 4))
        let bump = """
            stw [%r10-4], 3
            lddw %r1, map:0
            mov %r2, %r10
            add %r2, -4
            call 1
            jeq %r0, 0, out
            mov %r1, 5
            lock add32 [%r0], %r1
            ldxw %r0, [%r0]
            out:
            exit
            """
        #expect(try run(bump, on: machine) == 5)
        #expect(try run(bump, on: machine) == 10)
        #expect(machine.maps[0].lookup(key: le32(3)) == le32(10))
        // Out of range index: NULL; the array rejects NOEXIST and delete.
        #expect(try run(bump.replacingOccurrences(of: "stw [%r10-4], 3", with: "stw [%r10-4], 4"), on: machine) == 0)
        #expect(try programUpdate(machine, map: 0, key: 0, value: 1, flags: 1) == -17)
        #expect(try programUpdate(machine, map: 0, key: 9, value: 1, flags: 0) == -7)
        #expect(machine.maps[0].delete(key: le32(0)) == -22)
        // Reading past the value's storage faults.
        let past = vmError { _ = try run(bump.replacingOccurrences(of: "ldxw %r0, [%r0]", with: "ldxw %r0, [%r0+8]"), on: machine) }
        #expect(past?.kind == .memoryFault)
    }

    @Test func lruEvictsTheLeastRecentlyUsed() throws {
        let machine = BPFMachine()
        let map = try machine.createMap(MapDefinition(name: "lru", type: .lruHash, keySize: 4, valueSize: 4, maxEntries: 3))
        for k: UInt32 in 1...3 { #expect(map.update(key: le32(k), value: le32(k)) == 0) }
        #expect(map.update(key: le32(1), value: le32(100)) == 0)  // 1 is now the most recent
        #expect(map.update(key: le32(4), value: le32(4)) == 0)  // evicts 2
        #expect(map.lookup(key: le32(2)) == nil)
        #expect(Set(map.keys) == [le32(1), le32(3), le32(4)])
        #expect(map.update(key: le32(5), value: le32(5), flags: UpdateFlag.exist) == -2)
    }

    @Test func perCPUValuesAreSeparate() throws {
        var configuration = MachineConfiguration()
        configuration.cpuCount = 4
        configuration.cpu = 2
        let machine = BPFMachine(configuration: configuration)
        try machine.createMap(MapDefinition(name: "pc", type: .perCPUArray, keySize: 4, valueSize: 8, maxEntries: 1))
        #expect(try run("stw [%r10-4], 0\nlddw %r1, map:0\nmov %r2, %r10\nadd %r2, -4\ncall 1\nstdw [%r0], 77\ncall 8\nexit", on: machine) == 2)
        let array = try #require(machine.maps[0] as? ArrayMap)
        #expect(array.lookupAllCPUs(key: 0) == [le64(0), le64(0), le64(77), le64(0)])
    }

    @Test func ringBufferOutputReserveSubmitDiscard() throws {
        let machine = BPFMachine()
        let ring = try #require(try machine.createMap(MapDefinition(name: "rb", type: .ringBuffer, keySize: 0, valueSize: 0, maxEntries: 4096)) as? RingBufferMap)
        let result = try run("""
            stdw [%r10-8], 0x41
            lddw %r1, map:0
            mov %r2, %r10
            add %r2, -8
            mov %r3, 8
            mov %r4, 0
            call 130
            lddw %r1, map:0
            mov %r2, 4
            mov %r3, 0
            call 131
            jeq %r0, 0, fail
            stw [%r0], 0x11223344
            mov %r1, %r0
            mov %r2, 0
            call 132
            lddw %r1, map:0
            mov %r2, 16
            mov %r3, 0
            call 131
            mov %r1, %r0
            mov %r2, 0
            call 133
            mov %r0, 1
            exit
            fail:
            mov %r0, 0
            exit
            """, on: machine)
        #expect(result == 1)
        #expect(ring.drain() == [le64(0x41), le32(0x1122_3344)])
        // Writing through a submitted reservation faults.
        let stale = vmError {
            _ = try run("lddw %r1, map:0\nmov %r2, 8\nmov %r3, 0\ncall 131\nmov %r6, %r0\nmov %r1, %r0\nmov %r2, 0\ncall 132\nstw [%r6], 1\nexit", on: machine)
        }
        #expect(stale?.kind == .memoryFault && stale?.message.contains("released") == true)
        // A full buffer: output gives -EAGAIN.
        let big = try machine.load(try Assembler.assemble("lddw %r1, map:0\nmov %r2, %r10\nadd %r2, -512\nmov %r3, 512\nmov %r4, 0\ncall 130\nexit"))
        var codes: [Int64] = []
        for _ in 0..<8 { codes.append(Int64(bitPattern: try machine.run(big))) }
        #expect(codes.prefix(7).allSatisfy { $0 == 0 } && codes.last == -11)
    }
}
