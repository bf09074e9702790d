import BPFObject

/// BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (and global data sections): preallocated,
/// zero-filled values; elements can be neither added nor deleted.
public final class ArrayMap: BPFMap {
    let storage: UnsafeMutableRawPointer
    let stride: Int
    let slotSize: Int
    let perCPU: Bool
    var valueTag: UInt32 = 0

    override init(definition: MapDefinition, index: Int, machine: BPFMachine) {
        perCPU = definition.type == .perCPUArray
        stride = roundUp8(definition.valueSize)
        slotSize = stride * (perCPU ? max(machine.configuration.cpuCount, 1) : 1)
        let bytes = slotSize * definition.maxEntries
        storage = .allocate(byteCount: bytes, alignment: 8)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        super.init(definition: definition, index: index, machine: machine)
        if let initial = definition.initialValue {
            initial.withUnsafeBytes { storage.copyMemory(from: $0.baseAddress!, byteCount: min(initial.count, definition.valueSize)) }
        }
        // BPF_F_RDONLY_PROG (1 << 7): the program may only read.
        let writable = definition.flags & (1 << 7) == 0
        valueTag = machine.memory.add(kind: .mapValue, base: storage, length: bytes, writable: writable, owner: index, name: definition.name)
    }

    deinit { storage.deallocate() }

    private func offset(ofIndex i: Int) -> Int { i * slotSize + (perCPU ? stride * machine.configuration.cpu : 0) }

    override func lookup(key: UnsafeRawPointer, _ call: HelperCall) throws(VMError) -> UInt64 {
        let i = Int(key.loadUnaligned(as: UInt32.self))
        guard i < definition.maxEntries else { return 0 }
        return machine.memory.address(tag: valueTag, offset: offset(ofIndex: i))
    }

    override func update(key: UnsafeRawPointer, value: UnsafeRawPointer, flags: UInt64) -> Int32 {
        if flags & ~UpdateFlag.lock > UpdateFlag.exist || flags & UpdateFlag.lock != 0 { return -Errno.EINVAL }
        let i = Int(key.loadUnaligned(as: UInt32.self))
        guard i < definition.maxEntries else { return -Errno.E2BIG }
        if flags & UpdateFlag.noExist != 0 { return -Errno.EEXIST }
        (storage + offset(ofIndex: i)).copyMemory(from: value, byteCount: definition.valueSize)
        return 0
    }

    override func delete(key: UnsafeRawPointer) -> Int32 { -Errno.EINVAL }

    override func directValueAddress(offset: Int) -> UInt64? {
        guard offset >= 0, offset < definition.valueSize, !perCPU else { return nil }
        return machine.memory.address(tag: valueTag, offset: offset)
    }

    override var elementCount: Int { definition.maxEntries }

    override func forEach(_ body: (UnsafeRawPointer, UInt64) throws(VMError) -> Bool) throws(VMError) {
        for i in 0..<definition.maxEntries {
            var key = UInt32(i)
            let address = machine.memory.address(tag: valueTag, offset: offset(ofIndex: i))
            let goOn = try withUnsafeBytes(of: &key) { (k) throws(VMError) -> Bool in try body(k.baseAddress!, address) }
            if !goOn { return }
        }
    }

    public override func lookup(key: [UInt8]) -> [UInt8]? {
        guard key.count == 4 else { return nil }
        let i = Int(UInt32(key[0]) | UInt32(key[1]) << 8 | UInt32(key[2]) << 16 | UInt32(key[3]) << 24)
        guard i < definition.maxEntries else { return nil }
        return [UInt8](UnsafeRawBufferPointer(start: storage + offset(ofIndex: i), count: definition.valueSize))
    }

    /// Every CPU's value for `key` (per-CPU arrays).
    public func lookupAllCPUs(key index: Int) -> [[UInt8]] {
        guard index >= 0, index < definition.maxEntries else { return [] }
        let cpus = perCPU ? max(machine.configuration.cpuCount, 1) : 1
        return (0..<cpus).map { [UInt8](UnsafeRawBufferPointer(start: storage + index * slotSize + $0 * stride, count: definition.valueSize)) }
    }

    public override var keys: [[UInt8]] {
        (0..<definition.maxEntries).map { i in withUnsafeBytes(of: UInt32(i).littleEndian) { [UInt8]($0) } }
    }
}
