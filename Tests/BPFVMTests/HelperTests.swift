import BPFObject
import BPFVM
import Testing

@Suite struct HelperTests {
    @Test func clockJiffiesAndRandomness() throws {
        let machine = BPFMachine()
        let clock = ManualClock(nanoseconds: 5_000_000_123)
        machine.clock = clock
        #expect(try run("call 5\nexit", on: machine) == 5_000_000_123)
        #expect(try run("call 118\nexit", on: machine) == 5 * 250)
        // The same seed gives the same sequence; another seed another.
        func sequence(_ seed: UInt64) throws -> [UInt64] {
            var configuration = MachineConfiguration()
            configuration.randomSeed = seed
            let m = BPFMachine(configuration: configuration)
            let p = try m.load(try Assembler.assemble("call 7\nexit"))
            return try (0..<4).map { _ in try m.run(p) }
        }
        #expect(try sequence(1) == sequence(1))
        #expect(try sequence(1) != sequence(2))
        #expect(try sequence(1).allSatisfy { $0 <= 0xFFFF_FFFF })
    }

    @Test func tracePrintkFormats() throws {
        let machine = BPFMachine()
        // "n=%d x=%x\0" on the stack.
        let text = Array("n=%d x=%llx %s\0".utf8)
        var source = ""
        for (i, byte) in text.enumerated() { source += "stb [%r10-\(64 - i)], \(byte)\n" }
        source += "stb [%r10-8], 104\nstb [%r10-7], 105\nstb [%r10-6], 0\n"
        source += "mov %r1, %r10\nadd %r1, -64\nmov %r2, \(text.count)\nmov %r3, -5\nlddw %r4, 0x1234567890\nmov %r5, %r10\nadd %r5, -8\ncall 6\nexit"
        let written = try run(source, on: machine)
        #expect(machine.trace.map(\.text) == ["n=-5 x=1234567890 hi"])
        #expect(written == UInt64("n=-5 x=1234567890 hi".utf8.count))
    }

    /// An XDP packet with a context served by a test hook (data, data_end, data_meta).
    final class XDPContext: ContextAccess {
        func load(offset: Int, size: Int, machine: BPFMachine) -> UInt64? {
            guard size == 4, let p = machine.packetPointers else { return nil }
            switch offset {
            case 0: return p.data
            case 4: return p.end
            case 8: return p.meta
            default: return nil
            }
        }
        func store(offset: Int, size: Int, value: UInt64, machine: BPFMachine) -> Bool { false }
    }

    func xdpMachine(_ bytes: [UInt8]) -> (BPFMachine, UInt64) {
        var configuration = MachineConfiguration()
        configuration.programType = .xdp
        let machine = BPFMachine(configuration: configuration)
        machine.contextAccess = XDPContext()
        machine.packet = PacketBuffer(bytes)
        return (machine, machine.setContext([], rewritten: true))
    }

    @Test func xdpAdjustHeadTailAndMeta() throws {
        let frame = [UInt8](0..<60)
        let (machine, ctx) = xdpMachine(frame)
        // Push 4 bytes in front, write 0xAB there, grow the tail by 2, reserve 8 bytes of metadata.
        let result = try run("""
            mov %r6, %r1
            mov %r2, -4
            call 44
            jne %r0, 0, out
            ldxw %r2, [%r6+0]
            ldxw %r3, [%r6+4]
            mov %r4, %r2
            add %r4, 1
            jgt %r4, %r3, out
            stb [%r2], 0xab
            mov %r1, %r6
            mov %r2, 2
            call 65
            jne %r0, 0, out
            mov %r1, %r6
            mov %r2, -8
            call 54
            jne %r0, 0, out
            ldxw %r2, [%r6+8]
            stb [%r2], 0xcd
            mov %r1, %r6
            mov %r2, -6
            call 54
            out:
            exit
            """, on: machine, r1: ctx)
        #expect(Int64(bitPattern: result) == -13)  // metadata of 14 bytes: -EACCES
        let packet = try #require(machine.packet)
        #expect(packet.bytes == [0xAB, 0, 0, 0] + frame + [0, 0])
        #expect(packet.metadata.count == 8 && packet.metadata.first == 0xCD)
        // Shrinking below an Ethernet header is refused.
        #expect(Int64(bitPattern: try run("mov %r2, -60\ncall 65\nexit", on: machine, r1: ctx)) == -22)
        // Reading past data_end faults even though the tailroom is there.
        let past = vmError { _ = try run("ldxw %r2, [%r1+4]\nldxb %r0, [%r2]\nexit", on: machine, r1: ctx) }
        #expect(past?.kind == .memoryFault)
    }

    @Test func checksumHelpersKeepTheIPv4HeaderValid() throws {
        // An IPv4 header with a correct checksum; the program rewrites the source address
        // with l3_csum_replace, and the checksum must verify again.
        var header: [UInt8] = [0x45, 0, 0, 20, 0, 1, 0, 0, 64, 17, 0, 0, 198, 51, 100, 1, 192, 0, 2, 1]
        func checksum(_ h: [UInt8]) -> UInt16 {
            var sum: UInt32 = 0
            for i in stride(from: 0, to: h.count, by: 2) { sum += UInt32(h[i]) << 8 | UInt32(h[i + 1]) }
            while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
            return ~UInt16(sum)
        }
        let c = checksum(header)
        header[10] = UInt8(c >> 8)
        header[11] = UInt8(c & 0xFF)
        let machine = BPFMachine()
        machine.packet = PacketBuffer(header)
        // from = old address as loaded (raw), to = 10.0.0.1 raw.
        _ = try run("""
            mov %r6, %r1
            mov %r1, 0
            mov %r2, 12
            mov %r3, %r10
            add %r3, -4
            mov %r4, 4
            call 26
            ldxw %r7, [%r10-4]
            mov32 %r8, 0x0100000a
            stxw [%r10-8], %r8
            mov %r1, 0
            mov %r2, 12
            mov %r3, %r10
            add %r3, -8
            mov %r4, 4
            mov %r5, 0
            call 9
            mov %r1, 0
            mov %r2, 10
            mov %r3, %r7
            mov %r4, %r8
            mov %r5, 4
            call 10
            exit
            """, on: machine)
        let rewritten = try #require(machine.packet?.bytes)
        #expect(Array(rewritten[12..<16]) == [10, 0, 0, 1])
        #expect(checksum(rewritten) == 0)
        // csum_diff as Linux 6.18 computes it (see KernelHelperTests): any size, folded to 16
        // bits; pulling 3 bytes [7, 0, 0] gives ~7 folded, pushing 04 03 02 01 gives 0x0304 + 0x0102.
        #expect(try run("stw [%r10-4], 7\nmov %r1, %r10\nadd %r1, -4\nmov %r2, 3\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 28\nexit", on: machine) == 0xFFF8)
        #expect(try run("stw [%r10-4], 0x01020304\nmov %r1, 0\nmov %r2, 0\nmov %r3, %r10\nadd %r3, -4\nmov %r4, 4\nmov %r5, 0\ncall 28\nexit", on: machine) == 0x0406)
    }

    @Test func redirectsRecordTheirTarget() throws {
        var configuration = MachineConfiguration()
        configuration.programType = .xdp
        let machine = BPFMachine(configuration: configuration)
        #expect(try run("mov %r1, 3\nmov %r2, 0\ncall 23\nexit", on: machine) == 4)
        #expect(machine.redirect == .interface(ifindex: 3, flags: 0))
        try machine.createMap(MapDefinition(name: "devs", type: .hash, keySize: 4, valueSize: 4, maxEntries: 4))
        #expect(try run("lddw %r1, map:0\nmov %r2, 9\nmov %r3, 2\ncall 51\nexit", on: machine) == 2)  // missing: the fallback
        machine.maps[0].update(key: le32(9), value: le32(5))
        #expect(try run("lddw %r1, map:0\nmov %r2, 9\nmov %r3, 2\ncall 51\nexit", on: machine) == 4)
        #expect(machine.redirect == .map(index: 0, key: 9, flags: 2))
    }

    @Test func helperArgumentsAreChecked() {
        let error = vmError { _ = try run("mov %r1, 5\nmov %r2, %r10\ncall 1\nexit") }
        #expect(error?.kind == .helperFault && error?.instruction == 2)
        #expect(error?.message.contains("R1 is not a map pointer") == true)
    }
}
