import BPFObject
import Testing

@Suite struct KernelTypesTests {
    @Test func encodingRoundTrips() throws {
        let btf = KernelTypes.btf
        #expect(try BTF(bytes: btf.encoded()) == btf)
    }

    /// Every member (by name, through anonymous members) sits at the same bit offset, with the same
    /// bitfield width and byte size, as in the running kernel's BTF.
    @Test(arguments: KernelTypes.structureNames)
    func layoutMatchesHostBTF(name: String) throws {
        let ours = KernelTypes.btf
        let id = try #require(ours.firstID(named: name, kind: .structure))
        guard let host = Support.hostBTF else { return }  // no BTF on this machine: nothing to compare with
        let hostID = try #require(host.firstID(named: name, kind: .structure))
        #expect(ours.size(of: id) == host.size(of: hostID))
        #expect(flatten(ours, id) == flatten(host, hostID))
    }

    private func flatten(_ btf: BTF, _ id: UInt32, prefix: String = "", base: Int = 0, depth: Int = 0) -> [String] {
        let t = btf[btf.skippingModifiers(id)]
        guard (t.kind == .structure || t.kind == .union), depth < 4 else { return [] }
        var out: [String] = []
        for m in t.members {
            let path = prefix + (m.name.isEmpty ? "" : (prefix.isEmpty ? "" : ".") + m.name)
            let offset = base + Int(m.bitOffset)
            out.append("\(path)@\(offset):\(m.bitfieldSize)/\(btf.size(of: m.type) ?? -1)")
            out += flatten(btf, m.type, prefix: path, base: offset, depth: depth + 1)
        }
        return out
    }

    @Test func hostBTFParsesAndHasTheKernelTypes() throws {
        guard let host = Support.hostBTF else { return }
        #expect(host.count > 10_000)
        #expect(host.firstID(named: "bpf_xdp_ct_lookup", kind: .function) != nil)
        #expect(host.size(of: try #require(host.firstID(named: "nf_conn", kind: .structure))) ?? 0 > 100)
    }
}
