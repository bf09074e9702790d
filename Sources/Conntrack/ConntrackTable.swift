/// The connection table: entries stored inline in one buffer, and an open-addressing index that
/// finds an entry by the tuple of either direction within a zone (`nf_conntrack_hash`).
///
/// The index has one slot per direction of each entry: the tuple's 32-bit hash in the high half
/// and `entry << 1 | direction` + 1 in the low half (0 is an empty slot). Linear probing, deletion
/// by backward shift, no tombstones. A slot's home position is the top bits of its hash, so the
/// kernel's hash buckets (`reciprocal_scale(hash, nf_conntrack_buckets)`) are runs of slots,
/// which is what early drop walks. Nothing here allocates per packet.
public final class ConntrackTable {
    /// The most entries the table takes (`nf_conntrack_max`; 0 for no limit).
    public let maximum: Int
    /// `nf_conntrack_buckets`, for early drop's bucket walk.
    public let buckets: Int

    /// The buffers and index geometry every lookup reads, behind a pointer: a class's stored
    /// `var` costs a dynamic exclusivity check on every access, a `let` pointer's pointee none.
    struct Storage {
        var entries: UnsafeMutablePointer<ConntrackEntry>
        var slots: UnsafeMutablePointer<UInt64>
        var slotShift: UInt64
        var slotMask: Int
        /// Per-entry counters, indexed like `entries`; nil unless the table keeps accounting.
        var counters: UnsafeMutablePointer<ConntrackCounters>?
    }

    private let storage: UnsafeMutablePointer<Storage>

    private var entries: UnsafeMutablePointer<ConntrackEntry> {
        @inline(__always) get { storage.pointee.entries }
        set { storage.pointee.entries = newValue }
    }
    private var slots: UnsafeMutablePointer<UInt64> {
        @inline(__always) get { storage.pointee.slots }
        set { storage.pointee.slots = newValue }
    }
    private var slotShift: UInt64 {
        @inline(__always) get { storage.pointee.slotShift }
        set { storage.pointee.slotShift = newValue }
    }
    private var slotMask: Int {
        @inline(__always) get { storage.pointee.slotMask }
        set { storage.pointee.slotMask = newValue }
    }
    @exclusivity(unchecked) private var entryCapacity: Int
    /// Entries ever used; slots below it are live or on the free list.
    @exclusivity(unchecked) private var used = 0
    @exclusivity(unchecked) private var freeList: [Int32] = []
    @exclusivity(unchecked) public private(set) var count = 0


    /// - Parameters:
    ///   - maximum: `nf_conntrack_max` (0: unlimited).
    ///   - buckets: `nf_conntrack_buckets`.
    ///   - initialCapacity: entries to make room for up front.
    ///   - accounting: keep `ConntrackCounters` per entry (`nf_conntrack_acct=1`), in a side
    ///     buffer allocated only then, so entries stay the same size without it.
    public init(maximum: Int, buckets: Int, initialCapacity: Int = 1024, accounting: Bool = false) {
        self.maximum = maximum
        self.buckets = max(buckets, 1)
        entryCapacity = max(16, initialCapacity)
        let slotCount = Self.slotCount(for: entryCapacity)
        let slots = UnsafeMutablePointer<UInt64>.allocate(capacity: slotCount)
        slots.initialize(repeating: 0, count: slotCount)
        storage = .allocate(capacity: 1)
        storage.initialize(
            to: Storage(
                entries: .allocate(capacity: entryCapacity), slots: slots, slotShift: UInt64(32 - slotCount.trailingZeroBitCount),
                slotMask: slotCount - 1,
                counters: accounting ? .allocate(capacity: entryCapacity) : nil))
    }

    deinit {
        storage.pointee.counters?.deallocate()
        entries.deallocate()
        slots.deallocate()
        storage.deallocate()
    }

    private static func slotCount(for entries: Int) -> Int {
        var n = 64
        while n < entries * 4 { n <<= 1 }
        return n
    }

    /// Bytes held by the table's buffers (entries, index, free list).
    public var allocatedBytes: Int {
        entryCapacity * MemoryLayout<ConntrackEntry>.stride + (slotMask + 1) * 8 + freeList.capacity * 4
            + (accounting ? entryCapacity * MemoryLayout<ConntrackCounters>.stride : 0)
    }

    // MARK: Access

    /// The entry stored at `index` (which must be live).
    @inline(__always)
    public func pointer(_ index: Int) -> UnsafeMutablePointer<ConntrackEntry> { entries + index }

    public subscript(index: Int) -> ConntrackEntry {
        get { entries[index] }
        set { entries[index] = newValue }
    }

    /// Whether the table keeps counters (`nf_conntrack_acct=1`).
    public var accounting: Bool { storage.pointee.counters != nil }

    /// The counters of the live entry at `index`; nil when the table keeps no accounting.
    public func counters(_ index: Int) -> ConntrackCounters? {
        storage.pointee.counters.map { $0[index] }
    }

    /// Adds one packet of `bytes` to the entry at `index` in `direction` (no-op without accounting).
    @inline(__always)
    public func account(_ index: Int, direction: UInt8, bytes: Int) {
        if let counters = storage.pointee.counters { counters[index].add(direction: direction, bytes: bytes) }
    }

    /// Indices of the live entries, in storage order.
    public var indices: [Int] {
        (0..<used).filter { entries[$0].original.family != 0 }
    }

    /// Finds the entry with `tuple` as its original or reply tuple in `zone`.
    ///
    /// - Returns: `index << 1 | direction` (direction 0 original, 1 reply), or -1.
    @inline(__always)
    public func find(_ tuple: ConntrackTuple, zone: UInt16) -> Int {
        find(tuple, zone: zone, hash: tuple.hash(zone: zone))
    }

    @inline(__always)
    func find(_ tuple: ConntrackTuple, zone: UInt16, hash: UInt32) -> Int {
        var position = Int(UInt64(hash) >> slotShift)
        while true {
            let slot = slots[position]
            if slot == 0 { return -1 }
            if UInt32(truncatingIfNeeded: slot >> 32) == hash {
                let key = Int(slot & 0xFFFF_FFFF) - 1
                let entry = entries + (key >> 1)
                if entry.pointee.zone == zone {
                    if key & 1 == 0 ? entry.pointee.original == tuple : entry.pointee.reply == tuple { return key }
                }
            }
            position = (position + 1) & slotMask
        }
    }

    /// Whether either tuple of `entry` is in the table in its zone (`nf_conntrack_tuple_taken`
    /// for insertion).
    public func clashes(_ entry: ConntrackEntry) -> Bool {
        find(entry.original, zone: entry.zone) >= 0 || find(entry.reply, zone: entry.zone) >= 0
    }

    // MARK: Insertion and removal

    /// Inserts `entry` without checking the limit or duplicates (the caller did).
    ///
    /// - Returns: the entry's index.
    @discardableResult
    public func insertUnchecked(_ entry: ConntrackEntry) -> Int {
        let index: Int
        if let free = freeList.popLast() {
            index = Int(free)
        } else {
            if used == entryCapacity { grow() }
            index = used
            used += 1
        }
        (entries + index).initialize(to: entry)
        if let counters = storage.pointee.counters { (counters + index).initialize(to: ConntrackCounters()) }
        count += 1
        addSlot(hash: entry.original.hash(zone: entry.zone), key: index << 1)
        addSlot(hash: entry.reply.hash(zone: entry.zone), key: index << 1 | 1)
        return index
    }

    /// Removes the entry at `index` and returns it.
    @discardableResult
    public func remove(_ index: Int) -> ConntrackEntry {
        let entry = entries[index]
        removeSlot(hash: entry.original.hash(zone: entry.zone), key: index << 1)
        removeSlot(hash: entry.reply.hash(zone: entry.zone), key: index << 1 | 1)
        entries[index].original.family = 0
        freeList.append(Int32(index))
        count -= 1
        return entry
    }

    private func addSlot(hash: UInt32, key: Int) {
        var position = Int(UInt64(hash) >> slotShift)
        while slots[position] != 0 { position = (position + 1) & slotMask }
        slots[position] = UInt64(hash) << 32 | UInt64(key + 1)
    }

    private func removeSlot(hash: UInt32, key: Int) {
        let value = UInt64(hash) << 32 | UInt64(key + 1)
        var hole = Int(UInt64(hash) >> slotShift)
        while slots[hole] != value {
            precondition(slots[hole] != 0, "conntrack index lost an entry")
            hole = (hole + 1) & slotMask
        }
        // Backward-shift deletion: pull later members of the run into the hole when their home
        // is not between the hole and themselves.
        var next = (hole + 1) & slotMask
        while slots[next] != 0 {
            let home = Int((slots[next] >> 32) >> slotShift)
            let distanceToNext = (next - home) & slotMask
            let distanceToHole = (hole - home) & slotMask
            if distanceToHole <= distanceToNext {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & slotMask
        }
        slots[hole] = 0
    }

    private func grow() {
        let newCapacity = entryCapacity * 2
        let newEntries = UnsafeMutablePointer<ConntrackEntry>.allocate(capacity: newCapacity)
        newEntries.moveInitialize(from: entries, count: used)
        entries.deallocate()
        entries = newEntries
        if let counters = storage.pointee.counters {
            let newCounters = UnsafeMutablePointer<ConntrackCounters>.allocate(capacity: newCapacity)
            newCounters.moveInitialize(from: counters, count: used)
            counters.deallocate()
            storage.pointee.counters = newCounters
        }
        entryCapacity = newCapacity
        let slotCount = Self.slotCount(for: newCapacity)
        slots.deallocate()
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: 0, count: slotCount)
        slotMask = slotCount - 1
        slotShift = UInt64(32 - slotCount.trailingZeroBitCount)
        for index in 0..<used where entries[index].original.family != 0 {
            let entry = entries[index]
            addSlot(hash: entry.original.hash(zone: entry.zone), key: index << 1)
            addSlot(hash: entry.reply.hash(zone: entry.zone), key: index << 1 | 1)
        }
    }

    // MARK: Early drop

    /// The kernel's bucket of a hash (`reciprocal_scale(hash, nf_conntrack_buckets)`).
    @inline(__always)
    func bucket(_ hash: UInt32) -> Int { Int((UInt64(hash) * UInt64(buckets)) >> 32) }

    /// The entries filed (by either direction) in `bucket`, in index order without duplicates.
    func entries(inBucket bucket: Int) -> [Int] {
        // Hashes of the bucket: [ceil(b * 2^32 / buckets), ceil((b + 1) * 2^32 / buckets)).
        let low = (UInt64(bucket) << 32 + UInt64(buckets) - 1) / UInt64(buckets)
        let high = (UInt64(bucket + 1) << 32 + UInt64(buckets) - 1) / UInt64(buckets) - 1
        let first = Int(low >> slotShift)
        let span = (Int(min(high, UInt64(UInt32.max)) >> slotShift) - first) & slotMask
        var found: [Int] = []
        var step = 0
        while step <= slotMask {
            let slot = slots[(first + step) & slotMask]
            if slot == 0 {
                if step > span { break }
            } else if self.bucket(UInt32(truncatingIfNeeded: slot >> 32)) == bucket {
                let index = (Int(slot & 0xFFFF_FFFF) - 1) >> 1
                if !found.contains(index) { found.append(index) }
            }
            step += 1
        }
        return found.sorted()
    }
}
