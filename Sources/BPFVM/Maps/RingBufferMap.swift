import BPFObject

/// BPF_MAP_TYPE_RINGBUF: records the program outputs or reserves and submits, collected in order
/// for the user (`records`, `drain()`). The capacity is max_entries bytes; each record takes an
/// 8-byte header plus its size rounded up to 8, until the user drains it.
public final class RingBufferMap: BPFMap {
    /// Submitted records, oldest first.
    public private(set) var records: [[UInt8]] = []
    /// Bytes in use (submitted, undrained records and open reservations).
    public private(set) var used = 0
    /// Open reservations: region tag -> (storage, size).
    var reservations: [UInt32: (UnsafeMutableRawPointer, Int)] = [:]

    public static let headerSize = 8

    deinit { for (storage, _) in reservations.values { storage.deallocate() } }

    /// Hands the submitted records to the user and frees their space.
    public func drain() -> [[UInt8]] {
        let out = records
        records = []
        used = reservations.values.reduce(0) { $0 + RingBufferMap.footprint($1.1) }
        return out
    }

    static func footprint(_ size: Int) -> Int { headerSize + roundUp8(size) }

    func output(_ bytes: [UInt8]) -> Int32 {
        guard used + Self.footprint(bytes.count) <= definition.maxEntries else { return -Errno.EAGAIN }
        used += Self.footprint(bytes.count)
        records.append(bytes)
        return 0
    }

    /// A reservation's address, or 0 when full.
    func reserve(_ size: Int) -> UInt64 {
        guard size > 0, used + Self.footprint(size) <= definition.maxEntries else { return 0 }
        used += Self.footprint(size)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        let tag = machine.memory.add(kind: .ringBufferRecord, base: storage, length: size, writable: true, owner: index, name: definition.name)
        reservations[tag] = (storage, size)
        return UInt64(tag) << 32
    }

    /// Submits (or discards) the reservation at `address`; false when it is none.
    func finish(_ address: UInt64, submit: Bool) -> Bool {
        let tag = UInt32(truncatingIfNeeded: address >> 32)
        guard UInt32(truncatingIfNeeded: address) == 0, let (storage, size) = reservations.removeValue(forKey: tag) else { return false }
        if submit {
            records.append([UInt8](UnsafeRawBufferPointer(start: storage, count: size)))
        } else {
            used -= Self.footprint(size)
        }
        storage.deallocate()
        machine.memory.release(tag: tag)
        return true
    }

    public override func lookup(key: [UInt8]) -> [UInt8]? { nil }
}
