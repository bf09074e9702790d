import BPFObject
@testable import BPFVerifier
import Testing

/// The scalar domain: tnums, bounds kept in step, and the branch decisions built on them.
@Suite struct ScalarTrackingTests {
    @Test func tnumRangeCoversItsBounds() {
        let t = Tnum.range(16, 31)
        #expect(t.value == 16 && t.mask == 15)
        #expect(t.contains(.constant(20)) && !t.contains(.constant(32)))
        #expect(Tnum.range(0, .max) == .unknown)
    }

    @Test func tnumArithmetic() {
        let a = Tnum(value: 0, mask: 3)  // 0...3
        let sum = a + .constant(4)
        #expect(sum.value == 4 && sum.mask == 3)
        #expect((Tnum.constant(6) - .constant(2)) == .constant(4))
        #expect((a & .constant(1)).maxValue == 1)
        #expect((Tnum.constant(3) * .constant(5)) == .constant(15))
    }

    @Test func boundsFollowBits() {
        let v = ScalarValue(bits: Tnum(value: 0, mask: 0xFF))
        #expect(v.umin == 0 && v.umax == 255 && v.smin == 0 && v.smax == 255)
        let masked = ScalarValue.and(.unknown, .constant(0x3C))
        #expect(masked.umax == 0x3C && masked.bits.mask == 0x3C)
    }

    @Test func additionOverflowLosesTheRange() {
        let r = ScalarValue.add(.unsignedRange(10, .max), .constant(1))
        #expect(r.umin == 0 && r.umax == .max)
        // [-2, -1] + 2 wraps the unsigned range but not the signed one: exactly [0, 1].
        let wrapped = ScalarValue.add(.unsignedRange(.max - 1, .max), .constant(2))
        #expect(wrapped.umin == 0 && wrapped.umax == 1)
        let small = ScalarValue.add(.unsignedRange(1, 5), .unsignedRange(10, 20))
        #expect(small.umin == 11 && small.umax == 25)
    }

    @Test func branchDecisions() {
        let byte = ScalarValue.unsigned(bytes: 1)
        #expect(BranchRefinement.taken(byte, .constant(255), Opcode.jmpJGT) == false)
        #expect(BranchRefinement.taken(byte, .constant(256), Opcode.jmpJLT) == true)
        #expect(BranchRefinement.taken(byte, .constant(7), Opcode.jmpJEQ) == nil)
        var a = byte, b = ScalarValue.constant(10)
        BranchRefinement.refine(&a, &b, Opcode.jmpJLT)
        #expect(a.umax == 9)
        var c = ScalarValue.unknown, d = ScalarValue.constant(0)
        BranchRefinement.refine(&c, &d, Opcode.jmpJSGE)
        #expect(c.smin == 0 && c.umax == UInt64(Int64.max))
    }

    @Test func thirtyTwoBitResultsAreZeroExtended() {
        let wrapped = ScalarValue.subtract(.constant(0), .constant(1)).truncated32
        #expect(wrapped.umax <= 0xFFFF_FFFF)
        #expect(ScalarValue.constant(0x1_0000_0005).subregister.constantValue == 5)
    }
}
