import Conntrack

/// One `struct nf_conn` a program holds references to: the kernel's bytes (248, 6.18 layout)
/// that the program reads through BTF, and the entry they describe. An allocated-not-inserted
/// object (`nf_conn___init`) has no table index; an inserted or looked-up one mirrors a table entry.
public final class ConntrackObject {
    /// The bytes programs read (and, for `mark`, write).
    public let storage: UnsafeMutableRawPointer
    @exclusivity(unchecked) public internal(set) var entry: ConntrackEntry
    /// The zone direction bits (`NF_CT_ZONE_DIR_ORIG` 1, `_REPL` 2).
    @exclusivity(unchecked) public internal(set) var zoneDirection: UInt8
    /// The table index while the entry is in the table.
    @exclusivity(unchecked) public internal(set) var tableIndex: Int?
    /// References the program holds.
    @exclusivity(unchecked) public internal(set) var references = 1
    /// NAT manips already set up (bit 0 SRC, bit 1 DST).
    @exclusivity(unchecked) var natDone: UInt8 = 0

    init(entry: ConntrackEntry, zoneDirection: UInt8, tableIndex: Int?) {
        storage = .allocate(byteCount: ConntrackKernelTypes.Offset.size, alignment: 8)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: ConntrackKernelTypes.Offset.size)
        self.entry = entry
        self.zoneDirection = zoneDirection
        self.tableIndex = tableIndex
    }

    deinit { storage.deallocate() }

    /// Makes a spare object what `init` would have made (zeroed bytes, one reference, no NAT).
    func reset(entry: ConntrackEntry, zoneDirection: UInt8, tableIndex: Int?) {
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: ConntrackKernelTypes.Offset.size)
        self.entry = entry
        self.zoneDirection = zoneDirection
        self.tableIndex = tableIndex
        references = 1
        natDone = 0
    }

    /// Whether the object is an `nf_conn___init` (allocated, not inserted).
    public var isAllocated: Bool { tableIndex == nil }

    /// The mark as the program left it in the bytes.
    var storedMark: UInt32 { storage.loadUnaligned(fromByteOffset: ConntrackKernelTypes.Offset.mark, as: UInt32.self) }

    /// Takes the program's mark write into the entry.
    func pullMark() { entry.mark = storedMark }

    /// Writes the entry into the kernel bytes (`use`, `timeout`, `zone`, both tuples, `status`, `mark`).
    func refresh() {
        typealias O = ConntrackKernelTypes.Offset
        let use: UInt32 = isAllocated ? 0 : UInt32(1 + references)
        storage.storeBytes(of: use, toByteOffset: O.use, as: UInt32.self)
        storage.storeBytes(of: UInt32(truncatingIfNeeded: entry.timeout), toByteOffset: O.timeout, as: UInt32.self)
        storage.storeBytes(of: entry.zone, toByteOffset: O.zone, as: UInt16.self)
        storage.storeBytes(of: 0, toByteOffset: O.zone + 2, as: UInt8.self)
        storage.storeBytes(of: zoneDirection, toByteOffset: O.zone + 3, as: UInt8.self)
        write(entry.original, direction: 0)
        write(entry.reply, direction: 1)
        storage.storeBytes(of: UInt64(entry.status.rawValue), toByteOffset: O.status, as: UInt64.self)
        storage.storeBytes(of: entry.mark, toByteOffset: O.mark, as: UInt32.self)
    }

    private func write(_ tuple: ConntrackTuple, direction: Int) {
        let base = ConntrackKernelTypes.Offset.tuple(direction)
        func address(_ high: UInt64, _ low: UInt64, at offset: Int) {
            (storage + base + offset).initializeMemory(as: UInt8.self, repeating: 0, count: 16)
            if tuple.isIPv6 {
                storage.storeBytes(of: high.bigEndian, toByteOffset: base + offset, as: UInt64.self)
                storage.storeBytes(of: low.bigEndian, toByteOffset: base + offset + 8, as: UInt64.self)
            } else {
                storage.storeBytes(of: UInt32(truncatingIfNeeded: low).bigEndian, toByteOffset: base + offset, as: UInt32.self)
            }
        }
        address(tuple.sourceHigh, tuple.sourceLow, at: 0)
        storage.storeBytes(of: tuple.sourcePort.bigEndian, toByteOffset: base + 16, as: UInt16.self)
        storage.storeBytes(of: UInt16(tuple.family), toByteOffset: base + 18, as: UInt16.self)
        address(tuple.destinationHigh, tuple.destinationLow, at: 20)
        if tuple.isICMP {
            storage.storeBytes(of: tuple.destinationPort.bigEndian, toByteOffset: base + 36, as: UInt16.self)
        } else {
            storage.storeBytes(of: tuple.destinationPort.bigEndian, toByteOffset: base + 36, as: UInt16.self)
        }
        storage.storeBytes(of: tuple.protocolNumber, toByteOffset: base + 38, as: UInt8.self)
        storage.storeBytes(of: UInt8(direction), toByteOffset: base + 39, as: UInt8.self)
    }
}
