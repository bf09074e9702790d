/// What a memory region holds. Faults name it.
public enum RegionKind: UInt8, Sendable, CustomStringConvertible {
    /// Tag 0: null and every small integer; no access ever succeeds.
    case null
    /// The 8 frames of 512 bytes of stack.
    case stack
    /// The program's context (`xdp_md`, `__sk_buff`): plain bytes, or served by a `ContextAccess` hook.
    case context
    /// Packet bytes (data_meta ... data_end; the headroom and tailroom are outside the window).
    case packet
    /// A map's values (the whole storage of an array, the slots of a hash map).
    case mapValue
    /// A map itself, as `ld_imm64` with BPF_PSEUDO_MAP_FD gives it: no bytes to access.
    case mapObject
    /// Objects kfuncs return (`nf_conn`, ...), registered by the kfunc set.
    case kernelObject
    /// A plain input buffer (the conformance suite's "mem").
    case buffer
    /// A ring buffer reservation, until submitted or discarded.
    case ringBufferRecord
    /// A slot freed again (a submitted reservation, a released object): every access faults.
    case released

    public var description: String {
        switch self {
        case .null: "null"
        case .stack: "stack"
        case .context: "context"
        case .packet: "packet"
        case .mapValue: "map value"
        case .mapObject: "map"
        case .kernelObject: "kernel object"
        case .buffer: "memory buffer"
        case .ringBufferRecord: "ring buffer record"
        case .released: "released region"
        }
    }
}

/// One entry of the region table. Trivial (no references) so the interpreter reads it through a
/// raw pointer. An address is `tag << 32 | low`; its byte is `base + (low - start)` when
/// `low - start` (32-bit wrapping) plus the access size is within the limit.
@usableFromInline
struct Region {
    @usableFromInline var base: UnsafeMutableRawPointer?
    @usableFromInline var start: UInt32
    @usableFromInline var kind: RegionKind
    @usableFromInline var readLimit: UInt64
    @usableFromInline var writeLimit: UInt64
    /// The owner's index (the map index for map regions), -1 when none.
    @usableFromInline var owner: Int

    static var empty: Region { Region(base: nil, start: 0, kind: .null, readLimit: 0, writeLimit: 0, owner: -1) }
}

/// The tagged address space every program access goes through.
///
/// Addresses carry their region's tag in the upper 32 bits. A check is: the tag selects a table
/// entry (an out-of-range tag selects entry 0, which has no bytes), then one unsigned compare of
/// `UInt64(low &- start) + size` against the entry's limit, which cannot overflow because both
/// terms are below 2^32 + 8. So no bit pattern, forged or computed, reaches outside the buffers.
public final class MemoryMap {
    /// The hot state (table, count, stack watermark) lives behind a pointer: reading a class's
    /// stored `var` costs a dynamic exclusivity check on every access, a `let` pointer's pointee none.
    @usableFromInline struct State {
        @usableFromInline var table: UnsafeMutablePointer<Region>
        @usableFromInline var count: Int
        var stackDirtyLow: UInt32
    }

    @usableFromInline let state: UnsafeMutablePointer<State>
    @usableFromInline var table: UnsafeMutablePointer<Region> {
        @inline(__always) get { state.pointee.table }
        set { state.pointee.table = newValue }
    }
    @usableFromInline var count: Int {
        @inline(__always) get { state.pointee.count }
        set { state.pointee.count = newValue }
    }
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var names: [String]
    @exclusivity(unchecked) private var freeTags: [UInt32] = []
    /// The lowest stack offset written since the machine last cleared the stack: every stack byte
    /// below it is still zero, so a run only re-zeroes from here up (see `BPFMachine.run`).
    var stackDirtyLow: UInt32 {
        @inline(__always) get { state.pointee.stackDirtyLow }
        set { state.pointee.stackDirtyLow = newValue }
    }

    /// Fixed tags.
    public static let nullTag: UInt32 = 0
    public static let stackTag: UInt32 = 1
    public static let contextTag: UInt32 = 2
    public static let packetTag: UInt32 = 3
    public static let bufferTag: UInt32 = 4

    init() {
        capacity = 64
        let table = UnsafeMutablePointer<Region>.allocate(capacity: capacity)
        table.initialize(repeating: .empty, count: capacity)
        state = .allocate(capacity: 1)
        state.initialize(to: State(table: table, count: 5, stackDirtyLow: .max))
        names = ["null", "stack", "context", "packet", "memory buffer"]
        table[1].kind = .stack
        table[2].kind = .context
        table[3].kind = .packet
        table[4].kind = .buffer
    }

    deinit {
        table.deallocate()
        state.deallocate()
    }

    /// Adds a region and returns its tag (reusing released tags).
    @discardableResult
    public func add(
        kind: RegionKind, base: UnsafeMutableRawPointer?, length: Int, writable: Bool, owner: Int = -1, name: String
    ) -> UInt32 {
        let region = Region(
            base: base, start: 0, kind: kind, readLimit: UInt64(length), writeLimit: writable ? UInt64(length) : 0,
            owner: owner)
        if let tag = freeTags.popLast() {
            table[Int(tag)] = region
            names[Int(tag)] = name
            return tag
        }
        if count == capacity {
            let bigger = UnsafeMutablePointer<Region>.allocate(capacity: capacity * 2)
            bigger.initialize(from: table, count: count)
            (bigger + count).initialize(repeating: .empty, count: capacity * 2 - count)
            table.deallocate()
            table = bigger
            capacity *= 2
        }
        table[count] = region
        names.append(name)
        count += 1
        return UInt32(count - 1)
    }

    /// Points a fixed or existing tag at new bytes. `start` is the low address of `base`'s first byte.
    public func set(
        tag: UInt32, kind: RegionKind, base: UnsafeMutableRawPointer?, start: UInt32 = 0, length: Int, writable: Bool,
        owner: Int = -1, name: String? = nil
    ) {
        precondition(Int(tag) < count, "no region with tag \(tag)")
        table[Int(tag)] = Region(
            base: base, start: start, kind: kind, readLimit: UInt64(length), writeLimit: writable ? UInt64(length) : 0,
            owner: owner)
        if let name { names[Int(tag)] = name }
    }

    /// Makes every access to `tag` fault from now on, and lets the tag be reused later.
    public func release(tag: UInt32) {
        guard Int(tag) < count, tag > Self.bufferTag else { return }
        table[Int(tag)] = Region(base: nil, start: 0, kind: .released, readLimit: 0, writeLimit: 0, owner: -1)
        freeTags.append(tag)
    }

    /// Empties a fixed region (no bytes). The stack stays (the machine's, for every run).
    public func clear(tag: UInt32) {
        guard Int(tag) < count, tag != Self.stackTag else { return }
        let kind = table[Int(tag)].kind
        table[Int(tag)] = Region(base: nil, start: 0, kind: kind, readLimit: 0, writeLimit: 0, owner: -1)
    }

    /// The address of byte `offset` of region `tag`.
    public func address(tag: UInt32, offset: Int) -> UInt64 {
        UInt64(tag) << 32 | UInt64(UInt32(truncatingIfNeeded: Int(table[Int(tag)].start) + offset))
    }

    /// The kind and owner of the region an address falls in (by tag only).
    public func kind(of address: UInt64) -> RegionKind {
        let tag = address >> 32
        return tag < UInt64(count) ? table[Int(tag)].kind : .null
    }

    func owner(of address: UInt64) -> Int {
        let tag = address >> 32
        return tag < UInt64(count) ? table[Int(tag)].owner : -1
    }

    /// The host pointer for `size` bytes at `address`, or nil when any of them is outside the region.
    public func pointer(_ address: UInt64, size: Int, write: Bool) -> UnsafeMutableRawPointer? {
        guard size >= 0, size <= Int(UInt32.max) else { return nil }
        let tag = address >> 32
        let region = table[tag < UInt64(count) ? Int(tag) : 0]
        let low = UInt32(truncatingIfNeeded: address) &- region.start
        let limit = write ? region.writeLimit : region.readLimit
        guard UInt64(low) &+ UInt64(size) <= limit, let base = region.base else { return nil }
        if write, tag == UInt64(Self.stackTag), low < stackDirtyLow { stackDirtyLow = low }
        return base + Int(low)
    }

    /// Reads `count` bytes at `address`.
    public func read(_ address: UInt64, count: Int) -> [UInt8]? {
        guard let p = pointer(address, size: count, write: false) else { return nil }
        return [UInt8](UnsafeRawBufferPointer(start: p, count: count))
    }

    /// Writes `bytes` at `address`; false when outside a writable region.
    @discardableResult
    public func write(_ bytes: [UInt8], at address: UInt64) -> Bool {
        guard let p = pointer(address, size: bytes.count, write: true) else { return false }
        bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        return true
    }

    /// A readable description: `stack+4088`, `map value 'counts'+8`, `0x2a (no region)`.
    public func describe(_ address: UInt64) -> String {
        let tag = address >> 32
        guard tag > 0, tag < UInt64(count) else { return "0x\(String(address, radix: 16)) (no region)" }
        let region = table[Int(tag)]
        let low = Int64(UInt32(truncatingIfNeeded: address)) - Int64(region.start)
        let name = names[Int(tag)]
        let label = name == region.kind.description ? name : "\(region.kind) '\(name)'"
        return low >= 0 ? "\(label)+\(low)" : "\(label)\(low)"
    }

    /// The readable length of a region by tag.
    func limit(tag: UInt32, write: Bool) -> UInt64 {
        write ? table[Int(tag)].writeLimit : table[Int(tag)].readLimit
    }
}
