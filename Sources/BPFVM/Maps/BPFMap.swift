import BPFObject

/// The errno values map operations and helpers return (negated), as the kernel's.
public enum Errno {
    public static let ENOENT: Int32 = 2
    public static let E2BIG: Int32 = 7
    public static let EAGAIN: Int32 = 11
    public static let ENOMEM: Int32 = 12
    public static let EBUSY: Int32 = 16
    public static let EEXIST: Int32 = 17
    public static let EINVAL: Int32 = 22
    public static let ENOSPC: Int32 = 28
    public static let EOPNOTSUPP: Int32 = 95
}

/// `map_update_elem` flags.
public enum UpdateFlag {
    public static let any: UInt64 = 0
    public static let noExist: UInt64 = 1
    public static let exist: UInt64 = 2
    public static let lock: UInt64 = 4
}

/// A map of the machine. Subclasses model each type; the program-side operations take and give
/// addresses in the machine's memory, the user-side ones take and give bytes.
public class BPFMap {
    public let definition: MapDefinition
    /// The map's index in `machine.maps`: its "fd" in `ld_imm64`.
    public let index: Int
    unowned let machine: BPFMachine
    /// The region tag that identifies the map itself.
    let objectTag: UInt32

    init(definition: MapDefinition, index: Int, machine: BPFMachine) {
        self.definition = definition
        self.index = index
        self.machine = machine
        objectTag = machine.memory.add(kind: .mapObject, base: nil, length: 0, writable: false, owner: index, name: definition.name)
    }

    /// The value `ld_imm64` BPF_PSEUDO_MAP_FD puts in the register.
    public var objectAddress: UInt64 { UInt64(objectTag) << 32 }

    static func make(_ definition: MapDefinition, index: Int, machine: BPFMachine) throws(VMError) -> BPFMap {
        func bad(_ message: String) -> VMError { VMError(.invalidProgram, at: 0, "map '\(definition.name)': \(message)") }
        switch definition.type {
        case .array, .perCPUArray:
            guard definition.keySize == 4 else { throw bad("an array's key size must be 4, not \(definition.keySize)") }
            guard definition.valueSize > 0, definition.maxEntries > 0 else { throw bad("value size and max_entries must be positive") }
            guard definition.valueSize <= 1 << 20, definition.maxEntries <= 1 << 24 else { throw bad("too large") }
            return ArrayMap(definition: definition, index: index, machine: machine)
        case .hash, .perCPUHash, .lruHash, .lruPerCPUHash:
            guard definition.keySize > 0, definition.valueSize > 0, definition.maxEntries > 0 else {
                throw bad("key size, value size and max_entries must be positive")
            }
            guard definition.keySize <= 512, definition.valueSize <= 1 << 20, definition.maxEntries <= 1 << 24 else { throw bad("too large") }
            return HashMap(definition: definition, index: index, machine: machine)
        case .progArray:
            guard definition.keySize == 4, definition.valueSize == 4, definition.maxEntries > 0, definition.maxEntries <= 1 << 20 else {
                throw bad("a prog array needs key and value size 4")
            }
            return ProgArrayMap(definition: definition, index: index, machine: machine)
        case .ringBuffer:
            let size = definition.maxEntries
            guard size >= 4096, size & (size - 1) == 0, size <= 1 << 30 else {
                throw bad("a ring buffer's max_entries must be a power of 2 of at least 4096, not \(size)")
            }
            return RingBufferMap(definition: definition, index: index, machine: machine)
        default:
            throw bad("map type \(definition.type) is not modelled")
        }
    }

    // MARK: Program side (overridden)

    /// bpf_map_lookup_elem: the value's address, or 0.
    func lookup(key: UnsafeRawPointer, _ call: HelperCall) throws(VMError) -> UInt64 {
        throw call.fault("bpf_map_lookup_elem is not allowed on a \(definition.type) map")
    }

    /// bpf_map_update_elem: 0 or -errno.
    func update(key: UnsafeRawPointer, value: UnsafeRawPointer, flags: UInt64) -> Int32 { -Errno.EINVAL }

    /// bpf_map_delete_elem: 0 or -errno.
    func delete(key: UnsafeRawPointer) -> Int32 { -Errno.EINVAL }

    /// The address of byte `offset` of the first value (global data: BPF_PSEUDO_MAP_VALUE).
    func directValueAddress(offset: Int) -> UInt64? { nil }

    /// Calls `body` with the key bytes and value address of every element, in order, until it returns false.
    func forEach(_ body: (UnsafeRawPointer, UInt64) throws(VMError) -> Bool) throws(VMError) {}

    /// A scratch copy of keys for callbacks.
    var elementCount: Int { 0 }

    // MARK: User side

    /// The value for `key` (on the machine's current CPU for per-CPU maps).
    public func lookup(key: [UInt8]) -> [UInt8]? { nil }

    /// Updates with the kernel's flag semantics; returns 0 or -errno.
    @discardableResult
    public func update(key: [UInt8], value: [UInt8], flags: UInt64 = UpdateFlag.any) -> Int32 {
        guard key.count == definition.keySize, value.count == definition.valueSize else { return -Errno.EINVAL }
        return key.withUnsafeBytes { k in value.withUnsafeBytes { v in update(key: k.baseAddress!, value: v.baseAddress!, flags: flags) } }
    }

    /// Deletes; returns 0 or -errno.
    @discardableResult
    public func delete(key: [UInt8]) -> Int32 {
        guard key.count == definition.keySize else { return -Errno.EINVAL }
        return key.withUnsafeBytes { delete(key: $0.baseAddress!) }
    }

    /// Every key present, in iteration order.
    public var keys: [[UInt8]] { [] }
}

func roundUp8(_ n: Int) -> Int { (n + 7) & ~7 }
