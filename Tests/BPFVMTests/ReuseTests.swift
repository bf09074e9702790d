import BPFObject
import BPFVM
import Testing

/// A machine reuses its stack and packet buffer across runs; each run must still start as on a
/// fresh machine (zeroed stack, zero bytes outside the packet window).
@Suite struct ReuseTests {
    @Test func stackBytesWrittenByOneRunAreZeroInTheNext() throws {
        let machine = BPFMachine()
        machine.packet = PacketBuffer([UInt8](repeating: 0x5A, count: 64))
        // Run 1: stores deep in the stack (beyond frame 0's 512 bytes, which the region allows)
        // and a helper write (bpf_skb_load_bytes copies packet bytes onto the stack).
        let write = try machine.load(
            Assembler.assemble(
                """
                mov %r2, 0x77
                stxdw [%r10-4000], %r2
                stb [%r10-1], 0x66
                mov %r2, 0
                mov %r3, %r10
                add %r3, -3000
                mov %r4, 8
                call 26
                exit
                """))
        #expect(try machine.run(write) == 0)
        // Run 2 reads the same bytes back: all zero again.
        let read = try machine.load(
            Assembler.assemble(
                """
                ldxdw %r0, [%r10-4000]
                ldxb %r1, [%r10-1]
                or %r0, %r1
                ldxdw %r1, [%r10-3000]
                or %r0, %r1
                exit
                """))
        #expect(try machine.run(read) == 0)
        #expect(try machine.run(write) == 0)
        #expect(try machine.run(read) == 0)
    }

    @Test func reusedPacketBufferIsZeroOutsideTheNewWindow() throws {
        let first = [UInt8](repeating: 0x11, count: 60)
        let (machine, ctx) = HelperTests().xdpMachine(first)
        // Dirty the headroom (adjust_head -4, store) and the metadata area (adjust_meta -8, store).
        let dirty = try machine.load(
            Assembler.assemble(
                """
                mov %r6, %r1
                mov %r2, -4
                call 44
                ldxw %r2, [%r6+0]
                ldxw %r3, [%r6+4]
                mov %r4, %r2
                add %r4, 4
                jgt %r4, %r3, out
                stw [%r2], -1
                mov %r1, %r6
                mov %r2, -8
                call 54
                ldxw %r2, [%r6+8]
                ldxw %r3, [%r6+0]
                mov %r4, %r2
                add %r4, 8
                jgt %r4, %r3, out
                stdw [%r2], -1
                out:
                mov %r0, 0
                exit
                """))
        // Expose the same areas again and return what is in them.
        let peek = try machine.load(
            Assembler.assemble(
                """
                mov %r6, %r1
                mov %r2, -4
                call 44
                mov %r1, %r6
                mov %r2, -8
                call 54
                ldxw %r2, [%r6+8]
                ldxw %r3, [%r6+4]
                mov %r4, %r2
                add %r4, 12
                mov %r0, 99
                jgt %r4, %r3, out
                ldxdw %r0, [%r2]
                ldxw %r1, [%r2+8]
                or %r0, %r1
                out:
                exit
                """))
        #expect(try machine.run(dirty, r1: ctx) == 0)
        let second = [UInt8](repeating: 0x22, count: 50)
        second.withUnsafeBytes { machine.setPacket($0) }
        #expect(machine.packet?.bytes == second)
        #expect(machine.packet?.metadata == [])
        #expect(try machine.run(peek, r1: ctx) == 0)
        // A packet too big for the buffer gets a new one, with the same view.
        let big = [UInt8](repeating: 0x33, count: 5000)
        big.withUnsafeBytes { machine.setPacket($0) }
        #expect(machine.packet?.bytes == big)
        #expect(try machine.run(peek, r1: ctx) == 0)
    }
}
