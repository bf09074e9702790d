/// The text of `conntrack -L` and `conntrack -E` (conntrack-tools 1.4.7, libnetfilter_conntrack
/// 1.0.9 `nfct_snprintf` with `NFCT_O_DEFAULT`): one place for the grammar, used for the model's
/// entries and for entries read from the live kernel.
///
/// Field order: (`-E`: `[NEW]` right-aligned in 9 columns), (`-o extended`: `ipv4     2`),
/// protocol name padded to 8 columns and number, timeout, TCP state, original tuple,
/// `zone-orig=`, counters, `[UNREPLIED]`, reply tuple, `zone-reply=`, counters,
/// `[HW_OFFLOAD]`/`[OFFLOAD]`/`[ASSURED]`, `mark=`, `secmark=`, `zone=`, `delta-time=`,
/// `helper=`, `use=`; single spaces, no trailing one.
public struct ConntrackListFormat: Sendable {
    public var family: UInt8
    public var protocolNumber: UInt8
    /// Whole seconds left; nil leaves the field out (a DESTROY event for an expired entry).
    public var timeout: Int64?
    public var tcpState: TCPConntrackState?
    /// Another protocol's state name (SCTP), printed where the TCP state is.
    public var stateName: String?
    /// The tuples as text (`src=... dst=... sport=... dport=...`).
    public var original: String
    public var reply: String
    public var status: ConntrackStatus
    public var mark: UInt32 = 0
    /// Print `mark=` even when 0 (listings do; events only print a non-zero mark).
    public var alwaysShowMark = true
    public var zone: UInt16 = 0
    public var originalZone: UInt16?
    public var replyZone: UInt16?
    public var originalCounters: (packets: UInt64, bytes: UInt64)?
    public var replyCounters: (packets: UInt64, bytes: UInt64)?
    public var secmark: UInt32?
    public var deltaTime: UInt64?
    public var helper: String?
    /// The reference count; nil in events.
    public var use: UInt32? = 1
    /// `-o extended`: the layer-3 prefix.
    public var extended = false
    /// `-E`: the event tag.
    public var event: ConntrackEvent.Kind?

    public init(
        family: UInt8, protocolNumber: UInt8, timeout: Int64?, tcpState: TCPConntrackState?, original: String,
        reply: String, status: ConntrackStatus
    ) {
        self.family = family
        self.protocolNumber = protocolNumber
        self.timeout = timeout
        self.tcpState = tcpState
        self.original = original
        self.reply = reply
        self.status = status
    }

    /// The protocol name `conntrack` prints (`tcp`, `udp`, `icmp`, `icmpv6`, ...), or `unknown`.
    public static func protocolName(_ number: UInt8) -> String {
        switch number {
        case 1: "icmp"
        case 2: "igmp"
        case 6: "tcp"
        case 17: "udp"
        case 33: "dccp"
        case 47: "gre"
        case 58: "icmpv6"
        case 132: "sctp"
        case 136: "udplite"
        default: "unknown"
        }
    }

    static func padded(_ name: String) -> String {
        name.count >= 8 ? name : name + String(repeating: " ", count: 8 - name.count)
    }

    /// The line.
    public var text: String {
        var fields: [String] = []
        if let event {
            let tag = "[\(event.rawValue)]"
            fields.append(String(repeating: " ", count: max(0, 9 - tag.count)) + tag)
        }
        if extended {
            fields.append(Self.padded(family == 10 ? "ipv6" : "ipv4") + " \(family)")
        }
        fields.append(Self.padded(Self.protocolName(protocolNumber)) + " \(protocolNumber)")
        if let timeout { fields.append(String(timeout)) }
        if let tcpState {
            fields.append(tcpState.name)
        } else if let stateName {
            fields.append(stateName)
        }
        fields.append(original)
        if let originalZone { fields.append("zone-orig=\(originalZone)") }
        if let c = originalCounters { fields.append("packets=\(c.packets) bytes=\(c.bytes)") }
        if !status.contains(.seenReply) { fields.append("[UNREPLIED]") }
        fields.append(reply)
        if let replyZone { fields.append("zone-reply=\(replyZone)") }
        if let c = replyCounters { fields.append("packets=\(c.packets) bytes=\(c.bytes)") }
        if status.contains(.hardwareOffload) {
            fields.append("[HW_OFFLOAD]")
        } else if status.contains(.offload) {
            fields.append("[OFFLOAD]")
        } else if status.contains(.assured) {
            fields.append("[ASSURED]")
        }
        if alwaysShowMark || mark != 0 { fields.append("mark=\(mark)") }
        if let secmark { fields.append("secmark=\(secmark)") }
        if zone != 0 { fields.append("zone=\(zone)") }
        if let deltaTime { fields.append("delta-time=\(deltaTime)") }
        if let helper { fields.append("helper=\(helper)") }
        if let use { fields.append("use=\(use)") }
        return fields.joined(separator: " ")
    }
}

extension ConntrackEntry {
    /// The entry's `conntrack -L` line at `now` (jiffies); with `extended`, as `-o extended`
    /// prints it; `counters` (with `nf_conntrack_acct=1`) print as `packets=N bytes=N` after each
    /// direction's tuple.
    public func conntrackListLine(
        now: Int64, hz: Int64, extended: Bool = true, counters: ConntrackCounters? = nil
    ) -> String {
        var format = ConntrackListFormat(
            family: original.family, protocolNumber: protocolNumber, timeout: remainingSeconds(now: now, hz: hz),
            tcpState: tcpState, original: original.description, reply: reply.description, status: status)
        format.stateName = sctpState?.name
        format.mark = mark
        format.zone = zone
        format.extended = extended
        if let counters {
            format.originalCounters = counters.direction(0)
            format.replyCounters = counters.direction(1)
        }
        return format.text
    }
}

extension ConntrackEvent {
    /// The event as `conntrack -E` prints it (with `extended`, `-E -o extended`).
    public func line(extended: Bool = true) -> String {
        var format = ConntrackListFormat(
            family: entry.original.family, protocolNumber: entry.protocolNumber, timeout: timeout,
            tcpState: entry.tcpState, original: entry.original.description, reply: entry.reply.description,
            status: entry.status)
        format.stateName = entry.sctpState?.name
        format.mark = entry.mark
        format.alwaysShowMark = false
        format.zone = entry.zone
        format.use = nil
        format.extended = extended
        format.event = kind
        return format.text
    }
}
