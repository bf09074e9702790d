#if canImport(Glibc)
import Glibc
#endif

extension KernelConntrackEntry {
    /// The entry as `conntrack -L` prints it (conntrack-tools 1.4.7, libnetfilter_conntrack's
    /// `nfct_snprintf` with `NFCT_O_DEFAULT` and no flags): protocol name padded to 8 columns and
    /// number, timeout, TCP state, the original tuple, `zone-orig=`, counters, `[UNREPLIED]`, the
    /// reply tuple, `zone-reply=`, counters, `[HW_OFFLOAD]`/`[OFFLOAD]`/`[ASSURED]`, `mark=`,
    /// `secmark=`, `zone=`, `delta-time=`, `helper=`, `use=`; single spaces, no trailing one.
    ///
    /// - Parameter now: seconds since the epoch for `delta-time=` (timestamps on); defaults to
    ///   time(2).
    public func conntrackListLine(now: Int64? = nil) -> String {
        var fields: [String] = []
        let name = protocolName
        fields.append(name + String(repeating: " ", count: max(0, 8 - name.count)) + " \(protocolNumber)")
        fields.append(String(timeout))
        if let tcpState { fields.append(tcpState.name) }
        fields.append(original.description)
        if let originalZone { fields.append("zone-orig=\(originalZone)") }
        if let originalCounters { fields.append("packets=\(originalCounters.packets) bytes=\(originalCounters.bytes)") }
        if !status.contains(.seenReply) { fields.append("[UNREPLIED]") }
        fields.append(reply.description)
        if let replyZone { fields.append("zone-reply=\(replyZone)") }
        if let replyCounters { fields.append("packets=\(replyCounters.packets) bytes=\(replyCounters.bytes)") }
        if status.contains(.hardwareOffload) {
            fields.append("[HW_OFFLOAD]")
        } else if status.contains(.offload) {
            fields.append("[OFFLOAD]")
        } else if status.contains(.assured) {
            fields.append("[ASSURED]")
        }
        fields.append("mark=\(mark)")
        if let secmark { fields.append("secmark=\(secmark)") }
        if zone != 0 { fields.append("zone=\(zone)") }
        if let timestampStart {
            let stop = timestampStop.map { Int64($0 / 1_000_000_000) } ?? now ?? Int64(time(nil))
            fields.append("delta-time=\(UInt64(bitPattern: stop - Int64(timestampStart / 1_000_000_000)))")
        }
        if let helper { fields.append("helper=\(helper)") }
        fields.append("use=\(use)")
        return fields.joined(separator: " ")
    }
}
