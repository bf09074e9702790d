import Packets

/// The conntrack model: every packet arrives at a Linux router's PREROUTING hook (defrag, then
/// `nf_conntrack_in`) and, unless its TTL runs out, is forwarded, so a new entry is confirmed in
/// POSTROUTING. Zone 0, no NAT, the capture's clock in jiffies.
///
/// Feed packets in capture order with `process(frame:linkType:originalLength:timestamp:)` or
/// `process(ipPacket:timestamp:)`; read `table`, `statistics` and (with `recordsEvents`) the
/// `events` the kernel would have sent.
public final class ConntrackModel {
    public let sysctls: ConntrackSysctls
    /// Jiffies per second.
    public let hz: Int64
    /// Nanoseconds per jiffy when HZ divides a second (0 otherwise): one division per packet.
    private let jiffy: Int64
    public let table: ConntrackTable
    public internal(set) var statistics: ConntrackStatistics {
        get { clock.pointee.statistics }
        _modify { yield &clock.pointee.statistics }
        set { clock.pointee.statistics = newValue }
    }
    /// The virtual clock in jiffies (the latest packet's time; it never goes back).
    public internal(set) var now: Int64 {
        @inline(__always) get { clock.pointee.now }
        set { clock.pointee.now = newValue }
    }
    /// Collect NEW/UPDATE/DESTROY events in `events`.
    @exclusivity(unchecked) public var recordsEvents = false
    /// Events since the caller last emptied the list.
    @exclusivity(unchecked) public var events: [ConntrackEvent] = []
    /// Why the last INVALID packet was invalid.
    @exclusivity(unchecked) public internal(set) var lastInvalidReason: StaticString = ""

    let tcp: TCPTracker
    let sctp: SCTPTracker
    let udpTimeout: Int64
    let udpStreamTimeout: Int64
    let icmpTimeout: Int64
    let icmpv6Timeout: Int64
    let genericTimeout: Int64
    let greTimeout: Int64
    let greStreamTimeout: Int64
    let checksums: Bool
    /// `nf_conntrack_acct=1`: the table keeps counters.
    let accounting: Bool
    @exclusivity(unchecked) var defragmenter: Defragmenter
    /// No entry expires before this (a lower bound kept as timeouts are set).
    var nextExpiry: Int64 {
        @inline(__always) get { clock.pointee.nextExpiry }
        set { clock.pointee.nextExpiry = newValue }
    }
    var lastSweep: Int64 {
        @inline(__always) get { clock.pointee.lastSweep }
        set { clock.pointee.lastSweep = newValue }
    }

    /// The state every packet reads and writes, behind a pointer: a class's stored `var` costs a
    /// dynamic exclusivity check on every access, a `let` pointer's pointee none.
    struct Clock {
        var now: Int64 = .min
        var nextExpiry: Int64 = .max
        var lastSweep: Int64 = .min
        var statistics = ConntrackStatistics()
    }

    let clock: UnsafeMutablePointer<Clock> = {
        let p = UnsafeMutablePointer<Clock>.allocate(capacity: 1)
        p.initialize(to: Clock())
        return p
    }()

    deinit {
        clock.deinitialize(count: 1)
        clock.deallocate()
    }

    /// - Parameters:
    ///   - sysctls: the settings (a fresh namespace's by default).
    ///   - hz: jiffies per second (`CONFIG_HZ`; 250 on the reference kernel).
    public init(sysctls: ConntrackSysctls = ConntrackSysctls(), hz: Int = 250) {
        self.sysctls = sysctls
        self.hz = Int64(max(hz, 1))
        jiffy = 1_000_000_000 % self.hz == 0 ? 1_000_000_000 / self.hz : 0
        let j = self.hz
        accounting = sysctls.accounting != 0
        table = ConntrackTable(maximum: sysctls.max, buckets: sysctls.buckets, accounting: accounting)
        tcp = TCPTracker(sysctls: sysctls, hz: j)
        sctp = SCTPTracker(sysctls: sysctls, hz: j)
        udpTimeout = Int64(sysctls.udpTimeout) * j
        udpStreamTimeout = Int64(sysctls.udpTimeoutStream) * j
        icmpTimeout = Int64(sysctls.icmpTimeout) * j
        icmpv6Timeout = Int64(sysctls.icmpv6Timeout) * j
        genericTimeout = Int64(sysctls.genericTimeout) * j
        greTimeout = Int64(sysctls.greTimeout) * j
        greStreamTimeout = Int64(sysctls.greTimeoutStream) * j
        checksums = sysctls.checksum != 0
        defragmenter = Defragmenter(
            ipv4Timeout: Int64(sysctls.ipv4FragmentTime) * j, ipv6Timeout: Int64(sysctls.ipv6FragmentTimeout) * j)
    }

    /// The jiffies of a capture timestamp (floor of nanoseconds × HZ / 10⁹).
    public func jiffies(_ timestamp: Timestamp) -> Int64 {
        let ns = timestamp.nanoseconds
        if jiffy != 0 {
            let (q, r) = ns.quotientAndRemainder(dividingBy: jiffy)
            return r < 0 ? q - 1 : q
        }
        let product = ns.multipliedFullWidth(by: hz)
        let (q, r) = Int64(1_000_000_000).dividingFullWidth(product)
        return r < 0 ? q - 1 : q
    }

    /// Moves the clock to `timestamp` (never back) and expires what is due.
    public func advance(to timestamp: Timestamp) {
        let j = jiffies(timestamp)
        if j > now { now = j }
        if now >= nextExpiry, now >= lastSweep &+ hz { sweep() }
    }

    /// Expires every entry whose timeout has passed (`nf_ct_is_expired`), in timeout order, with
    /// a DESTROY event each; call at the end of a capture so the table is what `conntrack -L`
    /// would list at "now".
    public func sweep() {
        lastSweep = now
        var due: [(Int64, Int)] = []
        var earliest = Int64.max
        for index in table.indices {
            let timeout = table[index].timeout
            if timeout - now <= 0 {
                due.append((timeout, index))
            } else if timeout < earliest {
                earliest = timeout
            }
        }
        due.sort { $0 < $1 }
        for (_, index) in due { expire(index) }
        nextExpiry = earliest
    }

    /// The live entries in a stable order (family, protocol, original tuple).
    public var entries: [ConntrackEntry] {
        table.indices.map { table[$0] }.sorted { a, b in
            let x = a.original
            let y = b.original
            return (x.family, x.protocolNumber, x.sourceHigh, x.sourceLow, x.destinationHigh, x.destinationLow)
                < (y.family, y.protocolNumber, y.sourceHigh, y.sourceLow, y.destinationHigh, y.destinationLow)
                || ((x.family, x.protocolNumber, x.sourceHigh, x.sourceLow, x.destinationHigh, x.destinationLow)
                    == (y.family, y.protocolNumber, y.sourceHigh, y.sourceLow, y.destinationHigh, y.destinationLow)
                    && (x.sourcePort, x.destinationPort) < (y.sourcePort, y.destinationPort))
        }
    }

    // MARK: Entry lifecycle

    func emit(_ kind: ConntrackEvent.Kind, _ entry: ConntrackEntry, timeout: Bool = true) {
        guard recordsEvents else { return }
        events.append(
            ConntrackEvent(
                kind: kind, entry: entry, time: now, timeout: timeout ? entry.remainingSeconds(now: now, hz: hz) : nil))
    }

    func expire(_ index: Int) {
        let entry = table.remove(index)
        statistics.expired += 1
        emit(.destroy, entry, timeout: false)
    }

    func delete(_ index: Int) {
        let entry = table.remove(index)
        emit(.destroy, entry)
    }

    @inline(__always)
    func noteTimeout(_ timeout: Int64) {
        if timeout < nextExpiry { nextExpiry = timeout }
    }

    /// `early_drop`: on a full table, walk up to 8 buckets from the new tuple's and delete the
    /// entries there that are not ASSURED (expired ones are reaped on the way).
    func earlyDrop(hash: UInt32) -> Bool {
        var bucket = table.bucket(hash)
        for i in 0..<8 {
            if i > 0 { bucket = (bucket + 1) % table.buckets }
            var drops = 0
            for index in table.entries(inBucket: bucket) {
                let entry = table[index]
                if entry.timeout - now <= 0 {
                    expire(index)
                    continue
                }
                if entry.status.contains(.assured) { continue }
                delete(index)
                drops += 1
            }
            if drops > 0 {
                statistics.earlyDrops += drops
                return true
            }
        }
        return false
    }

    /// Inserts an entry made outside the packet path (e.g. by `bpf_ct_insert_entry`) with the
    /// kernel's rules: no tuple of it may exist in its zone, and the table must have room.
    ///
    /// - Throws: `ConntrackError` `.exists` or `.tableFull`.
    @discardableResult
    public func insert(_ entry: ConntrackEntry) throws(ConntrackError) -> Int {
        if table.clashes(entry) { throw ConntrackError(.exists, "an entry with this tuple exists") }
        if table.maximum > 0, table.count >= table.maximum,
            !earlyDrop(hash: entry.original.hash(zone: entry.zone))
        {
            throw ConntrackError(.tableFull, "nf_conntrack: table full")
        }
        var e = entry
        e.status.insert(.confirmed)
        noteTimeout(e.timeout)
        return table.insertUnchecked(e)
    }

    /// The counters of the live entry `entry` (found by its original tuple and zone); nil without
    /// `nf_conntrack_acct=1` or when no such entry is in the table.
    public func counters(for entry: ConntrackEntry) -> ConntrackCounters? {
        guard accounting else { return nil }
        let key = table.find(entry.original, zone: entry.zone)
        guard key >= 0, key & 1 == 0 else { return nil }
        return table.counters(key >> 1)
    }

    /// Finds the live entry with `tuple` (either direction) in `zone`; an expired one is reaped.
    public func lookup(_ tuple: ConntrackTuple, zone: UInt16 = 0) -> (index: Int, direction: UInt8)? {
        let key = table.find(tuple, zone: zone)
        guard key >= 0 else { return nil }
        if table[key >> 1].timeout - now <= 0 {
            expire(key >> 1)
            return nil
        }
        return (key >> 1, UInt8(key & 1))
    }
}
