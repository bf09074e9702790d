import BPFObject
import CtsimTesting
import Testing

@Suite struct ELFRefusalTests {
    static let object: [UInt8] = (try? Support.compiled("loader")) ?? []

    @Test func truncatedAtEvery64BytesIsRefusedWithAnOffset() throws {
        let bytes = Self.object
        #expect(bytes.count > 1000)
        for cut in stride(from: 0, to: bytes.count, by: 64) {
            do {
                let file = try BPFObjectFile(bytes: Array(bytes[..<cut]), fileName: "cut.bpf.o")
                Issue.record("a file cut at \(cut) of \(bytes.count) bytes was accepted with \(file.programs.count) programs")
            } catch {
                #expect(error.offset != nil || error.kind == .notELF, "cut at \(cut): \(error)")
            }
        }
    }

    @Test func bigEndian32BitAndOtherMachinesAreRefused() {
        var big = Self.object
        big[5] = 2
        #expect(throws: BPFObjectError(.unsupportedELF, "big-endian ELF (ctsim loads little-endian BPF objects)", offset: 5)) {
            try BPFObjectFile(bytes: big, fileName: "be.o")
        }
        var small = Self.object
        small[4] = 1
        #expect(throws: BPFObjectError(.unsupportedELF, "ELF class 1 is not ELFCLASS64 (a BPF object is 64-bit)", offset: 4)) {
            try BPFObjectFile(bytes: small, fileName: "32.o")
        }
        var x86 = Self.object
        x86[18] = 62
        #expect(throws: BPFObjectError(.unsupportedELF, "e_machine 62 is not EM_BPF (247)", offset: 18)) {
            try BPFObjectFile(bytes: x86, fileName: "x86.o")
        }
    }

    @Test func randomBytesAndMutationsNeverTrap() {
        var rng = SplitMix64(seed: 4)
        for _ in 0..<200 {
            let noise = (0..<Int(rng.next() % 4096)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            #expect(throws: BPFObjectError.self) { try BPFObjectFile(bytes: noise, fileName: "noise.o") }
        }
        // Seeded byte flips over a real object: parse or refuse, never trap.
        for _ in 0..<300 {
            var bytes = Self.object
            for _ in 0..<Int(1 + rng.next() % 8) {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            if let file = try? BPFObjectFile(bytes: bytes, fileName: "flip.bpf.o") {
                for program in file.programs { _ = try? file.load(program.name, options: LoadOptions(kconfig: ["CONFIG_HZ": 1])) }
            }
        }
    }
}

