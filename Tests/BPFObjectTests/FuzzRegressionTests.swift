import BPFObject
import Testing

/// Inputs the seeded mutation fuzzer (`elfdis fuzz`, see the report in README) found to trap;
/// each is the example object with the fuzzer's byte changes, and must now parse or be refused.
@Suite struct FuzzRegressionTests {
    /// (file offset, new byte) pairs applied to bpf/build/xdp_ct_firewall.bpf.o.
    static let crashers: [[(Int, UInt8)]] = [
        // A relocation's symbol moved to SHN_ABS (0xfff1): the loader indexed sections with it.
        [(6453, 0x83), (31188, 0x01)],
        // A global variable's st_value above Int64.max: the data offset conversion trapped.
        [(30500, 0xC1), (30501, 0x1D), (30502, 0xB7), (30503, 0xCA)],
    ]

    @Test(arguments: 0..<crashers.count)
    func crasherNoLongerTraps(index: Int) throws {
        let objects = try Support.exampleObjects()
        var bytes = try #require(objects.first { $0.name == "xdp_ct_firewall.bpf.o" }).bytes
        for (offset, value) in Self.crashers[index] { bytes[offset] = value }
        do {
            let file = try BPFObjectFile(bytes: bytes, fileName: "crasher.bpf.o")
            for program in file.programs {
                #expect(throws: BPFObjectError.self) { try file.load(program.name) }
            }
        } catch {
            #expect(!error.message.isEmpty)
        }
    }

    /// A func_info record naming a type id past the end of .BTF: the loader indexed the BTF with it.
    @Test func funcInfoTypeIDOutOfRange() throws {
        let objects = try Support.exampleObjects()
        var bytes = try #require(objects.first { $0.name == "xdp_ct_firewall.bpf.o" }).bytes
        let ext = try #require(try ELFFile(bytes: bytes).section(named: ".BTF.ext"))
        func u32(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 | Int(bytes[o + 2]) << 16 | Int(bytes[o + 3]) << 24 }
        let record = ext.offset + u32(ext.offset + 4) + u32(ext.offset + 8) + 4 + 8
        bytes[record + 4] = 0xFF
        bytes[record + 5] = 0xFF
        #expect(throws: BPFObjectError.self) { try BPFObjectFile(bytes: bytes, fileName: "crasher.bpf.o") }
    }
}
