import Testing

@testable import BPFObject

/// BTF whose modifiers, typedefs or arrays loop back on themselves: libbpf 1.1 resolved such a
/// type forever (`ctsim diff replay` hung at 100% CPU in bpf_object__load); the kernel refuses
/// it ("Loop detected"), and so does the parser now, before libbpf sees the object.
@Suite struct BTFLoopTests {
    /// A `.BTF` section of raw type records (each 12 bytes plus the kind's extra words).
    static func btf(_ records: [[UInt32]]) -> [UInt8] {
        let types = records.flatMap { $0 }.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) }
        }
        var header: [UInt8] = [0x9F, 0xEB, 1, 0]
        for word: UInt32 in [24, 0, UInt32(types.count), UInt32(types.count), 1] {
            header += (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) }
        }
        return header + types + [0]
    }

    static func kind(_ k: UInt32) -> UInt32 { k << 24 }
    static let int32: [UInt32] = [0, kind(1), 4, 32]
    static func const(_ type: UInt32) -> [UInt32] { [0, kind(10), type] }
    static func typedef(_ type: UInt32) -> [UInt32] { [0, kind(8), type] }
    static func volatile(_ type: UInt32) -> [UInt32] { [0, kind(9), type] }
    static func array(of element: UInt32, index: UInt32) -> [UInt32] { [0, kind(3), 0, element, index, 4] }
    static func pointer(_ type: UInt32) -> [UInt32] { [0, kind(2), type] }

    static let loops: [[[UInt32]]] = [
        [int32, const(2)],  // const to itself
        [int32, const(3), volatile(2)],  // const -> volatile -> const
        [int32, typedef(3), const(4), volatile(2)],
        [int32, array(of: 2, index: 1)],  // an array of itself
        [int32, const(3), array(of: 2, index: 1)],
    ]

    @Test(arguments: loops.indices)
    func aLoopIsRefused(_ index: Int) {
        #expect(throws: BPFObjectError.self) { _ = try BTF(bytes: Self.btf(Self.loops[index])) }
    }

    /// Chains that end, and a loop through a pointer (a linked list), are fine.
    @Test func chainsThatEndAreAccepted() throws {
        // struct list { struct list *next; }
        let list: [[UInt32]] = [Self.int32, [0, Self.kind(4) | 1, 8, 0, 3, 0], Self.pointer(2)]
        for records in [
            [Self.int32, Self.const(1), Self.volatile(2), Self.typedef(3)],
            [Self.int32, Self.array(of: 1, index: 1), Self.const(2)], list,
        ] {
            let btf = try BTF(bytes: Self.btf(records))
            #expect(btf.contains(UInt32(records.count)))
        }
    }
}
