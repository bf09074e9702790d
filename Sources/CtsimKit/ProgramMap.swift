import BPFVM

/// One map of a program under test, read and written from the user side.
///
/// ```swift
/// let counters = try #require(program.map(named: "counters"))
/// let value = counters.lookup(key: UInt32(6))        // the value bytes for key 6
/// try counters.update(key: UInt32(6), value: [UInt8](repeating: 0, count: 8))
/// ```
public struct ProgramMap {
    let map: BPFMap

    public var name: String { map.definition.name }
    public var keySize: Int { map.definition.keySize }
    public var valueSize: Int { map.definition.valueSize }
    public var maxEntries: Int { map.definition.maxEntries }

    /// The value for `key` (on the simulated CPU for per-CPU maps), nil when absent.
    public func lookup(key: [UInt8]) -> [UInt8]? { map.lookup(key: key) }

    /// The value for a 4-byte integer key (an array index, a `__u32` key), little-endian.
    public func lookup(key: UInt32) -> [UInt8]? { map.lookup(key: key.littleEndianBytes) }

    /// Inserts or replaces, with the kernel's flag semantics (`BPF_ANY` 0, `BPF_NOEXIST` 1, `BPF_EXIST` 2).
    /// - Throws: `CtsimKitError` of kind `.badSetting` with the errno the kernel would give.
    public func update(key: [UInt8], value: [UInt8], flags: UInt64 = 0) throws(CtsimKitError) {
        let result = map.update(key: key, value: value, flags: flags)
        guard result == 0 else {
            throw CtsimKitError(.badSetting, "map update failed with errno \(-result)", location: name)
        }
    }

    /// Inserts or replaces the value of a 4-byte integer key.
    public func update(key: UInt32, value: [UInt8], flags: UInt64 = 0) throws(CtsimKitError) {
        try update(key: key.littleEndianBytes, value: value, flags: flags)
    }

    /// Deletes `key`; false when it was not there.
    @discardableResult
    public func delete(key: [UInt8]) -> Bool { map.delete(key: key) == 0 }

    /// Every key present, in iteration order.
    public var keys: [[UInt8]] { map.keys }
}

extension UInt32 {
    var littleEndianBytes: [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: self >> (8 * $0)) } }
}
