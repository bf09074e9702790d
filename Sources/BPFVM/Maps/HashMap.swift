import BPFObject

/// BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH: preallocated slots (a freed
/// slot is reused, as with the kernel's preallocated maps), keys by value.
///
/// The LRU variants evict the least recently used element when full, exactly; the kernel's LRU
/// is approximate (per-CPU free lists, batches of evictions), so which element goes can differ
/// when a map is full.
public final class HashMap: BPFMap {
    let storage: UnsafeMutableRawPointer
    let stride: Int
    let slotSize: Int
    let perCPU: Bool
    let lru: Bool
    var valueTag: UInt32 = 0
    var slots: [[UInt8]: Int] = [:]
    var freeSlots: [Int]
    /// Keys in insertion order per slot (for iteration), nil when free.
    var slotKeys: [[UInt8]?]
    /// LRU list: prev/next slot indices, head = most recent.
    var prev: [Int]
    var next: [Int]
    var head = -1
    var tail = -1

    override init(definition: MapDefinition, index: Int, machine: BPFMachine) {
        perCPU = definition.type == .perCPUHash || definition.type == .lruPerCPUHash
        lru = definition.type == .lruHash || definition.type == .lruPerCPUHash
        stride = roundUp8(definition.valueSize)
        slotSize = stride * (perCPU ? max(machine.configuration.cpuCount, 1) : 1)
        let bytes = slotSize * definition.maxEntries
        storage = .allocate(byteCount: bytes, alignment: 8)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        freeSlots = Array((0..<definition.maxEntries).reversed())
        slotKeys = Array(repeating: nil, count: definition.maxEntries)
        prev = Array(repeating: -1, count: lru ? definition.maxEntries : 0)
        next = Array(repeating: -1, count: lru ? definition.maxEntries : 0)
        super.init(definition: definition, index: index, machine: machine)
        valueTag = machine.memory.add(kind: .mapValue, base: storage, length: bytes, writable: true, owner: index, name: definition.name)
    }

    deinit { storage.deallocate() }

    private func key(_ pointer: UnsafeRawPointer) -> [UInt8] {
        [UInt8](UnsafeRawBufferPointer(start: pointer, count: definition.keySize))
    }

    private func valueOffset(_ slot: Int) -> Int { slot * slotSize + (perCPU ? stride * machine.configuration.cpu : 0) }

    // LRU list maintenance.
    private func unlink(_ s: Int) {
        if prev[s] >= 0 { next[prev[s]] = next[s] } else { head = next[s] }
        if next[s] >= 0 { prev[next[s]] = prev[s] } else { tail = prev[s] }
        prev[s] = -1
        next[s] = -1
    }

    private func pushFront(_ s: Int) {
        prev[s] = -1
        next[s] = head
        if head >= 0 { prev[head] = s }
        head = s
        if tail < 0 { tail = s }
    }

    private func touch(_ s: Int) {
        guard lru, head != s else { return }
        unlink(s)
        pushFront(s)
    }

    override func lookup(key pointer: UnsafeRawPointer, _ call: HelperCall) throws(VMError) -> UInt64 {
        guard let slot = slots[key(pointer)] else { return 0 }
        touch(slot)
        return machine.memory.address(tag: valueTag, offset: valueOffset(slot))
    }

    override func update(key pointer: UnsafeRawPointer, value: UnsafeRawPointer, flags: UInt64) -> Int32 {
        if flags & ~UpdateFlag.lock > UpdateFlag.exist || flags & UpdateFlag.lock != 0 { return -Errno.EINVAL }
        let k = key(pointer)
        if let slot = slots[k] {
            if flags & UpdateFlag.noExist != 0 { return -Errno.EEXIST }
            write(slot, value)
            touch(slot)
            return 0
        }
        if flags & UpdateFlag.exist != 0 { return -Errno.ENOENT }
        var slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else if lru, tail >= 0 {
            slot = tail
            if let old = slotKeys[slot] { slots[old] = nil }
            unlink(slot)
        } else {
            return -Errno.E2BIG
        }
        slots[k] = slot
        slotKeys[slot] = k
        if perCPU {
            // A new per-CPU element: this CPU's value as given, the others zero.
            (storage + slot * slotSize).initializeMemory(as: UInt8.self, repeating: 0, count: slotSize)
        }
        write(slot, value)
        if lru { pushFront(slot) }
        return 0
    }

    private func write(_ slot: Int, _ value: UnsafeRawPointer) {
        (storage + valueOffset(slot)).copyMemory(from: value, byteCount: definition.valueSize)
    }

    override func delete(key pointer: UnsafeRawPointer) -> Int32 {
        let k = key(pointer)
        guard let slot = slots.removeValue(forKey: k) else { return -Errno.ENOENT }
        slotKeys[slot] = nil
        if lru { unlink(slot) }
        freeSlots.append(slot)
        return 0
    }

    override var elementCount: Int { slots.count }

    override func forEach(_ body: (UnsafeRawPointer, UInt64) throws(VMError) -> Bool) throws(VMError) {
        for slot in 0..<definition.maxEntries {
            guard let k = slotKeys[slot] else { continue }
            let address = machine.memory.address(tag: valueTag, offset: valueOffset(slot))
            let goOn = try k.withUnsafeBytes { p in Result { () throws(VMError) -> Bool in try body(p.baseAddress!, address) } }.get()
            if !goOn { return }
        }
    }

    public override func lookup(key: [UInt8]) -> [UInt8]? {
        guard let slot = slots[key] else { return nil }
        return [UInt8](UnsafeRawBufferPointer(start: storage + valueOffset(slot), count: definition.valueSize))
    }

    /// Every CPU's value for `key` (per-CPU hashes).
    public func lookupAllCPUs(key: [UInt8]) -> [[UInt8]]? {
        guard let slot = slots[key] else { return nil }
        let cpus = perCPU ? max(machine.configuration.cpuCount, 1) : 1
        return (0..<cpus).map { [UInt8](UnsafeRawBufferPointer(start: storage + slot * slotSize + $0 * stride, count: definition.valueSize)) }
    }

    public override var keys: [[UInt8]] { slotKeys.compactMap { $0 } }
}
