import Conntrack
import Packets

/// The conntrack kfuncs' semantics on a `ConntrackModel`, independent of any VM: each function
/// takes the bytes the kernel would read and returns what it would return, writing the bytes it
/// would write (`opts->error`, `opts->dir`, `opts->ct_zone_dir`) back into `opts`.
/// Exact 6.18 rules (`kernel-facts.md` §1), with per-profile differences.
public final class ConntrackKfuncRuntime {
    public let model: ConntrackModel
    public let profile: ConntrackKernelProfile
    /// Objects with a reference, by table index (looked-up or inserted entries).
    @exclusivity(unchecked) var tableObjects = ReferencedObjects()
    /// Zone directions of table entries whose zone does not apply to both directions.
    @exclusivity(unchecked) var zoneDirections: [ConntrackTuple: UInt8] = [:]
    /// Objects whose last reference went back, kept to be reused (a lookup hit needs no allocation).
    @exclusivity(unchecked) var spare: [ConntrackObject] = []
    static let maximumSpare = 64

    public static let EINVAL: Int32 = 22, EPROTO: Int32 = 71, EAFNOSUPPORT: Int32 = 97, ENONET: Int32 = 64, ENOENT: Int32 = 2
    public static let ENOMEM: Int32 = 12, EBUSY: Int32 = 16, EPERM: Int32 = 1, ETIME: Int32 = 62

    public init(model: ConntrackModel, profile: ConntrackKernelProfile = .current) {
        self.model = model
        self.profile = profile
    }

    // MARK: Lookup and alloc

    /// The parsed, validated request of a lookup or alloc, or the errno to report.
    struct Request {
        var tuple: ConntrackTuple
        var zone: UInt16
        var zoneDirection: UInt8
    }

    /// Steps 2–3 of both paths: NULL tuple, opts size and reserved bytes.
    private func checkSize(tuple: UnsafeRawBufferPointer?, opts: ConntrackOpts, optsSize: UInt32) -> Bool {
        guard tuple != nil else { return false }
        if profile.zones {
            switch optsSize {
            case 16: return opts[13] == 0 && opts[14] == 0 && opts[15] == 0
            case 12: return opts[10] == 0 && opts[11] == 0
            default: return false
            }
        }
        return optsSize == 12 && opts[10] == 0 && opts[11] == 0
    }

    private func parse(_ bytes: UnsafeRawBufferPointer, size: UInt32, l4proto: UInt8) -> ConntrackTuple {
        func be32(_ i: Int) -> UInt32 { UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self)) }
        func be16(_ i: Int) -> UInt16 { UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt16.self)) }
        func be64(_ i: Int) -> UInt64 { UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) }
        if size == 12 {
            return ConntrackTuple(
                source: .v4(IPv4Address(be32(0))), destination: .v4(IPv4Address(be32(4))), protocolNumber: l4proto,
                sourcePort: be16(8), destinationPort: be16(10))
        }
        return ConntrackTuple(
            source: .v6(IPv6Address(high: be64(0), low: be64(8))), destination: .v6(IPv6Address(high: be64(16), low: be64(24))),
            protocolNumber: l4proto, sourcePort: be16(32), destinationPort: be16(34))
    }

    /// Zone id and direction from 16-byte opts (dir 0 becomes 3 and is written back).
    private func zone(_ opts: ConntrackOpts, optsSize: UInt32) -> (UInt16, UInt8) {
        guard profile.zones, optsSize == 16, opts.count >= 13 else { return (0, 3) }
        if opts[12] == 0 { opts[12] = 3 }
        return (UInt16(opts[10]) | UInt16(opts[11]) << 8, opts[12])
    }

    /// `bpf_{xdp,skb}_ct_lookup`. `tuple` nil = a NULL pointer; `opts` nil = NULL opts.
    public func lookup(tuple: [UInt8]?, tupleSize: UInt32, opts: inout [UInt8]?, optsSize: UInt32) -> ConntrackObject? {
        withArguments(tuple, &opts) { lookup(tuple: $0, tupleSize: tupleSize, opts: $1, optsSize: optsSize) }
    }

    /// `bpf_{xdp,skb}_ct_lookup` on the argument bytes in place: `tuple` nil = a NULL pointer;
    /// `opts` is read and written where it lies (bytes past its end read as zero; the error is
    /// only written when it has at least 8).
    public func lookup(tuple: UnsafeRawBufferPointer?, tupleSize: UInt32, opts o: ConntrackOpts, optsSize: UInt32) -> ConntrackObject? {
        guard checkSize(tuple: tuple, opts: o, optsSize: optsSize) else { o.setError(Self.EINVAL); return nil }
        let l4 = o[8]
        guard l4 == 6 || l4 == 17 else { o.setError(Self.EPROTO); return nil }
        let ns = o.netns
        guard ns >= -1 else { o.setError(Self.EINVAL); return nil }
        guard tupleSize == 12 || tupleSize == 36, let tuple, tuple.count >= Int(tupleSize) else {
            o.setError(Self.EAFNOSUPPORT)
            return nil
        }
        guard ns == -1 else { o.setError(Self.ENONET); return nil }
        let (zoneID, zoneDir) = zone(o, optsSize: optsSize)
        let key = parse(tuple, size: tupleSize, l4proto: l4)
        guard let (index, direction) = find(key, zoneID: zoneID, zoneDirection: zoneDir) else {
            o.setError(Self.ENOENT)
            return nil
        }
        o[9] = direction
        return reference(index)
    }

    /// Runs `body` on array arguments as the in-place entry points take them: `opts` padded to the
    /// 8 bytes an error needs, then cut back when the call wrote no error.
    private func withArguments(
        _ tuple: [UInt8]?, _ opts: inout [UInt8]?, _ body: (UnsafeRawBufferPointer?, ConntrackOpts) -> ConntrackObject?
    ) -> ConntrackObject? {
        guard var o = opts else { return nil }
        opts = nil  // `o` is then the only reference: writing into it copies nothing
        defer { opts = o }
        let count = o.count
        if count < 8 { o += repeatElement(0, count: 8 - count) }
        let result = o.withUnsafeMutableBytes { optsBytes in
            let view = ConntrackOpts(optsBytes)
            guard let tuple else { return body(nil, view) }
            return tuple.withUnsafeBytes { body($0, view) }
        }
        if result != nil, count < 8 { o.removeLast(8 - count) }
        return result
    }

    /// The per-direction zone id (`nf_ct_zone_id`).
    static func zoneID(_ id: UInt16, _ dirBits: UInt8, _ direction: UInt8) -> UInt16 { dirBits & (1 << direction) != 0 ? id : 0 }

    func find(_ tuple: ConntrackTuple, zoneID: UInt16, zoneDirection: UInt8) -> (Int, UInt8)? {
        let first = Self.zoneID(zoneID, zoneDirection, 0), second = Self.zoneID(zoneID, zoneDirection, 1)
        if let found = find(tuple, in: first, zoneID: zoneID, zoneDirection: zoneDirection) { return found }
        return first == second ? nil : find(tuple, in: second, zoneID: zoneID, zoneDirection: zoneDirection)
    }

    private func find(_ tuple: ConntrackTuple, in id: UInt16, zoneID: UInt16, zoneDirection: UInt8) -> (Int, UInt8)? {
        guard let (index, direction) = model.lookup(tuple, zone: id) else { return nil }
        let entry = model.table.pointer(index)
        let entryDir = zoneDirections.isEmpty ? 3 : zoneDirections[entry.pointee.original] ?? 3
        return Self.zoneID(entry.pointee.zone, entryDir, direction) == Self.zoneID(zoneID, zoneDirection, direction) ? (index, direction) : nil
    }

    private func reference(_ index: Int) -> ConntrackObject {
        if let object = tableObjects[index], object.entry.original == model.table[index].original {
            object.references += 1
            object.pullMark()
            syncFromTable(object)
            object.refresh()
            return object
        }
        let entry = model.table[index]
        let object = makeObject(
            entry: entry, zoneDirection: zoneDirections.isEmpty ? 3 : zoneDirections[entry.original] ?? 3, tableIndex: index)
        tableObjects[index] = object
        object.refresh()
        return object
    }

    /// A new object, or a spare one nobody else holds, reset to what a new one would be.
    private func makeObject(entry: ConntrackEntry, zoneDirection: UInt8, tableIndex: Int?) -> ConntrackObject {
        while var object = spare.popLast() {
            guard isKnownUniquelyReferenced(&object) else { continue }
            object.reset(entry: entry, zoneDirection: zoneDirection, tableIndex: tableIndex)
            return object
        }
        return ConntrackObject(entry: entry, zoneDirection: zoneDirection, tableIndex: tableIndex)
    }

    /// Keeps an object whose last reference went back for `makeObject`.
    private func recycle(_ object: ConntrackObject) {
        if spare.count < Self.maximumSpare { spare.append(object) }
    }

    private func syncFromTable(_ object: ConntrackObject) {
        guard let index = object.tableIndex else { return }
        let current = model.table.pointer(index).pointee
        guard current.original == object.entry.original else { return }
        let mark = object.entry.mark
        object.entry = current
        object.entry.mark = mark
    }

    /// `bpf_{xdp,skb}_ct_alloc`.
    public func alloc(tuple: [UInt8]?, tupleSize: UInt32, opts: inout [UInt8]?, optsSize: UInt32) -> ConntrackObject? {
        withArguments(tuple, &opts) { alloc(tuple: $0, tupleSize: tupleSize, opts: $1, optsSize: optsSize) }
    }

    /// `bpf_{xdp,skb}_ct_alloc` on the argument bytes in place (as `lookup(tuple:tupleSize:opts:optsSize:)`).
    public func alloc(tuple: UnsafeRawBufferPointer?, tupleSize: UInt32, opts o: ConntrackOpts, optsSize: UInt32) -> ConntrackObject? {
        guard checkSize(tuple: tuple, opts: o, optsSize: optsSize) else { o.setError(Self.EINVAL); return nil }
        let ns = o.netns
        guard ns >= -1 else { o.setError(Self.EINVAL); return nil }
        let l4 = o[8]
        guard l4 == 6 || l4 == 17 else { o.setError(Self.EPROTO); return nil }
        guard tupleSize == 12 || tupleSize == 36, let tuple, tuple.count >= Int(tupleSize) else {
            o.setError(Self.EAFNOSUPPORT)
            return nil
        }
        guard ns == -1 else { o.setError(Self.ENONET); return nil }
        let (zoneID, zoneDir) = zone(o, optsSize: optsSize)
        if model.table.maximum > 0, model.table.count >= model.table.maximum {
            o.setError(Self.ENOMEM)
            return nil
        }
        let original = parse(tuple, size: tupleSize, l4proto: l4)
        var entry = ConntrackEntry(original: original, reply: original.swapped, status: profile.allocConfirms ? .confirmed : [])
        entry.zone = zoneID
        entry.timeout = 10 * model.hz
        if profile.allocConfirms { entry.timeout += model.now }
        let object = makeObject(entry: entry, zoneDirection: zoneDir, tableIndex: nil)
        object.refresh()
        return object
    }

    // MARK: Insert and release

    /// `bpf_ct_insert_entry`: consumes the allocated object; the same object, now in the table,
    /// or nil (a clash in its zone, a full table) after freeing it.
    public func insert(_ object: ConntrackObject) -> ConntrackObject? {
        object.pullMark()
        var entry = object.entry
        if !entry.status.contains(.confirmed), profile.insertAddsNow { entry.timeout += model.now }
        entry.status.insert(.confirmed)
        guard let index = try? model.insert(entry) else { return nil }
        if object.zoneDirection != 3 { zoneDirections[entry.original] = object.zoneDirection }
        object.entry = model.table[index]
        object.tableIndex = index
        tableObjects[index] = object
        object.refresh()
        return object
    }

    /// `bpf_ct_release`: drops one reference; the last one writes the program's mark back.
    public func release(_ object: ConntrackObject) {
        object.pullMark()
        writeBack(object)
        object.references -= 1
        if object.references <= 0, let index = object.tableIndex, tableObjects[index] === object { tableObjects[index] = nil }
        if object.references > 0 { object.refresh() } else { recycle(object) }
    }

    /// Writes an object's mark, status and timeout to its table entry (if it is still there).
    func writeBack(_ object: ConntrackObject) {
        guard let index = object.tableIndex else { return }
        let p = model.table.pointer(index)
        guard p.pointee.original == object.entry.original else { return }
        if profile.markWrites { p.pointee.mark = object.entry.mark }
        p.pointee.status = object.entry.status
        p.pointee.timeout = object.entry.timeout
    }

    // MARK: Timeouts

    /// `msecs_to_jiffies` (rounding up; beyond `jiffies_to_msecs(MAX_JIFFY_OFFSET)`, as a u32,
    /// MAX_JIFFY_OFFSET), then clamped to INT_MAX as `__nf_ct_set_timeout` does.
    func jiffies(milliseconds: UInt32) -> Int64 {
        let maxJiffyOffset = UInt64(Int64.max >> 1) - 1
        let limit = UInt32(truncatingIfNeeded: maxJiffyOffset &* UInt64(1000 / max(model.hz, 1)))
        if milliseconds > limit { return Int64(Int32.max) }
        return min((Int64(milliseconds) * model.hz + 999) / 1000, Int64(Int32.max))
    }

    /// `bpf_ct_set_timeout` (nf_conn___init): relative while unconfirmed, absolute otherwise.
    public func setTimeout(_ object: ConntrackObject, milliseconds: UInt32) {
        object.pullMark()
        let t = jiffies(milliseconds: milliseconds)
        object.entry.timeout = object.entry.status.contains(.confirmed) ? model.now + t : t
        object.refresh()
    }

    /// `bpf_ct_change_timeout`: -EPERM with FIXED_TIMEOUT; -ETIME (after writing) when dying.
    public func changeTimeout(_ object: ConntrackObject, milliseconds: UInt32) -> Int32 {
        object.pullMark()
        syncFromTable(object)
        if object.entry.status.contains(.fixedTimeout) { return -Self.EPERM }
        let t = jiffies(milliseconds: milliseconds)
        object.entry.timeout = object.entry.status.contains(.confirmed) ? model.now + t : t
        writeBack(object)
        object.refresh()
        return object.entry.status.contains(.dying) ? -Self.ETIME : 0
    }

    // MARK: Status

    static let unchangeable: UInt32 = 0xDBF9

    /// `bpf_ct_set_status` / `bpf_ct_change_status` (`nf_ct_change_status_common`).
    public func changeStatus(_ object: ConntrackObject, _ requested: UInt32) -> Int32 {
        object.pullMark()
        syncFromTable(object)
        let current = object.entry.status.rawValue
        let d = current ^ requested
        let busy: UInt32 = ConntrackStatus([.expected, .confirmed, .dying]).rawValue
        if d & busy != 0 { return -Self.EBUSY }
        if d & ConntrackStatus.seenReply.rawValue != 0, requested & ConntrackStatus.seenReply.rawValue == 0 { return -Self.EBUSY }
        if d & ConntrackStatus.assured.rawValue != 0, requested & ConntrackStatus.assured.rawValue == 0 { return -Self.EBUSY }
        object.entry.status = ConntrackStatus(rawValue: current | (requested & ~Self.unchangeable))
        writeBack(object)
        object.refresh()
        return 0
    }

    // MARK: NAT

    /// `bpf_ct_set_nat_info`: `address` is the 16-byte `union nf_inet_addr`, `port` host order
    /// (≤ 0: keep), `manip` 0 SRC / 1 DST. SNAT rewrites the reply tuple's destination, DNAT its source.
    public func setNATInfo(_ object: ConntrackObject, address: [UInt8], port: Int32, manip: UInt32) -> Int32 {
        object.pullMark()
        guard object.entry.original.family == 2 || object.entry.original.family == 10 else { return -Self.EINVAL }
        guard manip <= 1, address.count >= 16 else { return -Self.EINVAL }
        let bit = UInt8(1) << UInt8(manip)
        if object.natDone & bit != 0 { return -Self.ENOMEM }
        let ip: IPAddress =
            object.entry.original.isIPv6
            ? .v6(IPv6Address(bytes: address[0..<16]))
            : .v4(IPv4Address(UInt32(address[0]) << 24 | UInt32(address[1]) << 16 | UInt32(address[2]) << 8 | UInt32(address[3])))
        let r = object.entry.reply
        var source = r.source, destination = r.destination, sport = r.sourcePort, dport = r.destinationPort
        if manip == 0 {
            destination = ip
            if port > 0 { dport = UInt16(truncatingIfNeeded: port) }
        } else {
            source = ip
            if port > 0 { sport = UInt16(truncatingIfNeeded: port) }
        }
        let reply = ConntrackTuple(source: source, destination: destination, protocolNumber: r.protocolNumber, sourcePort: sport, destinationPort: dport)
        if reply != r {
            object.entry.reply = reply
            object.entry.status.insert(manip == 0 ? .sourceNAT : .destinationNAT)
        }
        object.entry.status.insert(manip == 0 ? .sourceNATDone : .destinationNATDone)
        object.natDone |= bit
        object.refresh()
        return 0
    }
}
