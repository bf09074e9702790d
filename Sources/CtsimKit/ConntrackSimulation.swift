/// The conntrack model alone, as a Linux router tracks what it forwards (PREROUTING, zone 0, HZ
/// 250 unless told), on the traffic's own clock: what `ctsim track` does, from Swift.
///
/// ```swift
/// let conntrack = try ConntrackSimulation(sysctls: ["net.netfilter.nf_conntrack_udp_timeout": "10"])
/// conntrack.track(traffic)
/// #expect(conntrack.table[web]?.tcpState == .established)
/// ```
public final class ConntrackSimulation {
    let model: ConntrackModel

    /// - Parameters:
    ///   - sysctls: conntrack sysctls by name (`net.netfilter.nf_conntrack_tcp_loose`, ...); the
    ///     rest keep a fresh namespace's defaults.
    ///   - hz: jiffies per second (`CONFIG_HZ`).
    /// - Throws: `CtsimKitError` of kind `.badSetting` for an unknown sysctl or a bad value.
    public init(sysctls: [String: String] = [:], hz: Int = 250) throws(CtsimKitError) {
        model = ConntrackModel(sysctls: try Self.settings(sysctls), hz: try Self.checked(hz: hz))
        model.recordsEvents = true
    }

    /// `hz` when the model can use it: 1 ... 10000, as `ctsim track --hz` takes it (a huge HZ
    /// overflowed the timeouts in jiffies and trapped).
    static func checked(hz: Int) throws(CtsimKitError) -> Int {
        guard (1...10_000).contains(hz) else {
            throw CtsimKitError(.badSetting, "hz \(hz) is outside 1 ... 10000")
        }
        return hz
    }

    static func settings(_ sysctls: [String: String]) throws(CtsimKitError) -> ConntrackSysctls {
        var settings = ConntrackSysctls()
        for (key, value) in sysctls.sorted(by: { $0.key < $1.key }) {
            do {
                try settings.set(key, value)
            } catch {
                throw CtsimKitError(.badSetting, "\(error)")
            }
        }
        return settings
    }

    /// Tracks one frame of `linkType` at `timestamp`. Timestamps should not go backwards (the
    /// clock never does).
    @discardableResult
    public func track(frame: [UInt8], at timestamp: Timestamp, linkType: LinkType = .ethernet) -> ConntrackVerdict {
        frame.withUnsafeBytes { model.process(frame: $0, linkType: linkType, timestamp: timestamp) }
    }

    /// Tracks every packet of `capture` in order; one verdict per packet.
    @discardableResult
    public func track(_ capture: Capture) -> [ConntrackVerdict] {
        capture.packets.map { track(frame: $0.data, at: $0.timestamp, linkType: capture.linkType) }
    }

    /// Tracks every packet of `traffic` in order; one verdict per packet.
    @discardableResult
    public func track(_ traffic: Traffic) -> [ConntrackVerdict] { track(traffic.capture) }

    /// Moves the clock on (entries expire on it), without a packet.
    public func advance(to timestamp: Timestamp) { model.advance(to: timestamp) }

    /// The table now, expired entries removed.
    public var table: ConntrackSnapshot {
        model.sweep()
        return ConntrackSnapshot(entries: model.entries, now: model.now, hz: model.hz)
    }

    /// NEW, UPDATE and DESTROY events so far, as `conntrack -E` reports them.
    public var events: [ConntrackEvent] { model.events }

    /// Packets seen, created, invalid, ...
    public var statistics: ConntrackStatistics { model.statistics }
}
