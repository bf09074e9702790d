import Conntrack
import ConntrackKfuncs
import Packets
import Testing

/// The kfuncs' rules of kernel-facts §1 on the runtime alone (the VM binding is covered by the replay tests).
@Suite struct ConntrackKfuncSemanticsTests {
    static let tuple: [UInt8] = [10, 0, 0, 1, 10, 0, 0, 2, 0x04, 0x57, 0x08, 0xAE]  // 10.0.0.1:1111 -> 10.0.0.2:2222

    static func opts(netns: Int32 = -1, l4: UInt8 = 6, zone: UInt16 = 0, zoneDir: UInt8 = 0, reserved: UInt8 = 0) -> [UInt8] {
        let n = UInt32(bitPattern: netns)
        return [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24), 0, 0, 0, 0, l4, 0, UInt8(zone & 0xFF), UInt8(zone >> 8), zoneDir, reserved, 0, 0]
    }

    static func error(_ opts: [UInt8]?) -> Int32 {
        guard let o = opts else { return 0 }
        return Int32(bitPattern: UInt32(o[4]) | UInt32(o[5]) << 8 | UInt32(o[6]) << 16 | UInt32(o[7]) << 24)
    }

    func runtime(_ profile: ConntrackKernelProfile = .current) -> ConntrackKfuncRuntime {
        let model = ConntrackModel()
        model.advance(to: Timestamp(seconds: 100))
        return ConntrackKfuncRuntime(model: model, profile: profile)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var tuple: [UInt8]?
        var tupleSize: UInt32
        var opts: [UInt8]
        var optsSize: UInt32
        var lookup: Int32
        var alloc: Int32
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "NULL tuple", tuple: nil, tupleSize: 0, opts: opts(), optsSize: 16, lookup: -22, alloc: -22),
        Case(name: "reserved byte (16-byte opts)", tuple: tuple, tupleSize: 12, opts: opts(reserved: 1), optsSize: 16, lookup: -22, alloc: -22),
        Case(name: "ct_zone_id with 12-byte opts", tuple: tuple, tupleSize: 12, opts: opts(zone: 5), optsSize: 12, lookup: -22, alloc: -22),
        Case(name: "opts__sz 11", tuple: tuple, tupleSize: 12, opts: opts(), optsSize: 11, lookup: -22, alloc: -22),
        Case(name: "opts__sz 20", tuple: tuple, tupleSize: 12, opts: opts(), optsSize: 20, lookup: -22, alloc: -22),
        Case(name: "opts__sz 4", tuple: tuple, tupleSize: 12, opts: opts(), optsSize: 4, lookup: -22, alloc: -22),
        Case(name: "netns -2", tuple: tuple, tupleSize: 12, opts: opts(netns: -2), optsSize: 16, lookup: -22, alloc: -22),
        Case(name: "ICMP", tuple: tuple, tupleSize: 12, opts: opts(l4: 1), optsSize: 16, lookup: -71, alloc: -71),
        Case(name: "ICMP + netns -2 (order differs)", tuple: tuple, tupleSize: 12, opts: opts(netns: -2, l4: 1), optsSize: 16, lookup: -71, alloc: -22),
        Case(name: "ICMP + tuple__sz 11", tuple: tuple, tupleSize: 11, opts: opts(l4: 1), optsSize: 16, lookup: -71, alloc: -71),
        Case(name: "tuple__sz 11", tuple: tuple, tupleSize: 11, opts: opts(), optsSize: 16, lookup: -97, alloc: -97),
        Case(name: "tuple__sz 11 + netns 0xf00f", tuple: tuple, tupleSize: 11, opts: opts(netns: 0xF00F), optsSize: 16, lookup: -97, alloc: -97),
        Case(name: "netns 0xf00f", tuple: tuple, tupleSize: 12, opts: opts(netns: 0xF00F), optsSize: 16, lookup: -64, alloc: -64),
        Case(name: "netns 0", tuple: tuple, tupleSize: 12, opts: opts(netns: 0), optsSize: 16, lookup: -64, alloc: -64),
        Case(name: "not found / allocated", tuple: tuple, tupleSize: 12, opts: opts(), optsSize: 16, lookup: -2, alloc: 0),
    ]

    @Test(arguments: cases) func validationOrder(_ c: Case) {
        let rt = runtime()
        var o: [UInt8]? = c.opts
        let found = rt.lookup(tuple: c.tuple, tupleSize: c.tupleSize, opts: &o, optsSize: c.optsSize)
        #expect(found == nil)
        #expect(Self.error(o) == c.lookup)
        var a: [UInt8]? = c.opts
        let allocated = rt.alloc(tuple: c.tuple, tupleSize: c.tupleSize, opts: &a, optsSize: c.optsSize)
        #expect((allocated == nil) == (c.alloc != 0))
        #expect(Self.error(a) == c.alloc)
    }

    @Test func nullOptsWritesNothing() {
        var o: [UInt8]? = nil
        #expect(runtime().lookup(tuple: Self.tuple, tupleSize: 12, opts: &o, optsSize: 16) == nil)
        #expect(o == nil)
    }

    @Test func allocInsertLookupRelease() throws {
        let rt = runtime()
        var o: [UInt8]? = Self.opts()
        let ct = try #require(rt.alloc(tuple: Self.tuple, tupleSize: 12, opts: &o, optsSize: 16))
        #expect(o?[12] == 3)  // ct_zone_dir 0 is written back as 3
        #expect(ct.entry.status == [])
        #expect(ct.entry.timeout == 10 * 250)  // relative 10 s while unconfirmed
        let inserted = try #require(rt.insert(ct))
        #expect(inserted.entry.status == .confirmed)
        #expect(inserted.entry.timeout == rt.model.now + 2500)
        // A second alloc of the same tuple: insert fails (duplicate), nothing is added.
        var o2: [UInt8]? = Self.opts()
        let dup = try #require(rt.alloc(tuple: Self.tuple, tupleSize: 12, opts: &o2, optsSize: 16))
        #expect(rt.insert(dup) == nil)
        #expect(rt.model.table.count == 1)
        // Lookup by the reply tuple: dir 1.
        let reply: [UInt8] = [10, 0, 0, 2, 10, 0, 0, 1, 0x08, 0xAE, 0x04, 0x57]
        var o3: [UInt8]? = Self.opts()
        let found = try #require(rt.lookup(tuple: reply, tupleSize: 12, opts: &o3, optsSize: 16))
        #expect(o3?[9] == 1)
        #expect(found === inserted)
        #expect(found.references == 2)
        rt.release(found)
        rt.release(inserted)
        #expect(found.references == 0)
    }

    @Test func statusRules() throws {
        let rt = runtime()
        var o: [UInt8]? = Self.opts()
        let ct = try #require(rt.alloc(tuple: Self.tuple, tupleSize: 12, opts: &o, optsSize: 16))
        #expect(rt.changeStatus(ct, ConntrackStatus.confirmed.rawValue) == -16)
        #expect(rt.changeStatus(ct, 0) == 0)
        #expect(rt.changeStatus(ct, ConntrackStatus([.seenReply, .assured, .sourceNAT]).rawValue) == 0)
        #expect(ct.entry.status == [.seenReply, .assured])  // NAT bits are unchangeable, silently ignored
        #expect(rt.changeStatus(ct, ConntrackStatus.seenReply.rawValue) == -16)  // would clear ASSURED
        #expect(rt.changeStatus(ct, ConntrackStatus([.seenReply, .assured, .fixedTimeout]).rawValue) == 0)
        let inserted = try #require(rt.insert(ct))
        #expect(rt.changeTimeout(inserted, milliseconds: 1000) == -1)  // FIXED_TIMEOUT → -EPERM
        #expect(rt.changeStatus(inserted, ConntrackStatus([.seenReply, .assured]).rawValue) == -16)  // would clear CONFIRMED
    }

    @Test func timeouts() throws {
        let rt = runtime()
        var o: [UInt8]? = Self.opts()
        let ct = try #require(rt.alloc(tuple: Self.tuple, tupleSize: 12, opts: &o, optsSize: 16))
        rt.setTimeout(ct, milliseconds: 0xFFFF_FFFF)
        #expect(ct.entry.timeout == 0x7FFF_FFFF)  // clamped to INT_MAX jiffies
        rt.setTimeout(ct, milliseconds: 1001)
        #expect(ct.entry.timeout == 251)  // msecs_to_jiffies rounds up
        let inserted = try #require(rt.insert(ct))
        #expect(rt.changeTimeout(inserted, milliseconds: 10_000) == 0)
        #expect(inserted.entry.timeout == rt.model.now + 2500)
        #expect(rt.changeTimeout(inserted, milliseconds: 0) == 0)
        rt.release(inserted)
        var o2: [UInt8]? = Self.opts()
        #expect(rt.lookup(tuple: Self.tuple, tupleSize: 12, opts: &o2, optsSize: 16) == nil)
        #expect(Self.error(o2) == -2)  // expired
    }

    @Test func zones() throws {
        let rt = runtime()
        var o: [UInt8]? = Self.opts(zone: 10, zoneDir: 1)
        let ct = try #require(rt.alloc(tuple: Self.tuple, tupleSize: 12, opts: &o, optsSize: 16))
        let inserted = try #require(rt.insert(ct))
        rt.release(inserted)
        func lookup(_ opts: [UInt8], size: UInt32 = 16) -> Int32 {
            var x: [UInt8]? = opts
            if let c = rt.lookup(tuple: Self.tuple, tupleSize: 12, opts: &x, optsSize: size) {
                rt.release(c)
                return 0
            }
            return Self.error(x)
        }
        #expect(lookup(Self.opts(zone: 10, zoneDir: 1)) == 0)
        #expect(lookup(Self.opts(zone: 10, zoneDir: 2)) == -2)
        #expect(lookup(Self.opts(zone: 0, zoneDir: 1)) == -2)
        #expect(lookup(Self.opts(), size: 12) == -2)
    }

    @Test func natInfo() throws {
        let rt = runtime()
        var o: [UInt8]? = Self.opts()
        let ct = try #require(rt.alloc(tuple: Self.tuple, tupleSize: 12, opts: &o, optsSize: 16))
        let snat: [UInt8] = [192, 168, 0, 1] + [UInt8](repeating: 0, count: 12)
        let dnat: [UInt8] = [192, 168, 0, 2] + [UInt8](repeating: 0, count: 12)
        #expect(rt.setNATInfo(ct, address: snat, port: 4444, manip: 0) == 0)
        #expect(rt.setNATInfo(ct, address: dnat, port: 5555, manip: 1) == 0)
        #expect(rt.setNATInfo(ct, address: dnat, port: 5555, manip: 1) == -12)  // twice → NF_DROP → -ENOMEM
        #expect(ct.entry.reply.description == "src=192.168.0.2 dst=192.168.0.1 sport=5555 dport=4444")
        #expect(rt.changeStatus(ct, ConntrackStatus([.seenReply, .assured]).rawValue) == 0)
        let inserted = try #require(rt.insert(ct))
        #expect(inserted.entry.status.rawValue == 0x1BE)
    }

    /// 6.3–6.5: insert kept the relative timeout as if absolute, so the entry is expired at once.
    @Test func version6_3InsertKeepsRelativeTimeout() throws {
        let rt = runtime(.v6_3)
        var o: [UInt8]? = Array(Self.opts().prefix(12))
        let ct = try #require(rt.alloc(tuple: Self.tuple, tupleSize: 12, opts: &o, optsSize: 12))
        let inserted = try #require(rt.insert(ct))
        #expect(inserted.entry.timeout == 2500)
        rt.release(inserted)
        var o2: [UInt8]? = Array(Self.opts().prefix(12))
        #expect(rt.lookup(tuple: Self.tuple, tupleSize: 12, opts: &o2, optsSize: 12) == nil)
        #expect(Self.error(o2) == -2)
    }

    @Test func version6_0AllocConfirms() throws {
        let rt = runtime(.v6_0)
        var o: [UInt8]? = Array(Self.opts().prefix(12))
        let ct = try #require(rt.alloc(tuple: Self.tuple, tupleSize: 12, opts: &o, optsSize: 12))
        #expect(ct.entry.status == .confirmed)
        #expect(rt.changeStatus(ct, ConntrackStatus.confirmed.rawValue) == 0)
        var sixteen: [UInt8]? = Self.opts()
        #expect(rt.alloc(tuple: Self.tuple, tupleSize: 12, opts: &sixteen, optsSize: 16) == nil)
        #expect(Self.error(sixteen) == -22)  // 6.0 takes 12-byte opts only
    }
}
