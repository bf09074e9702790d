import Conntrack

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
        var format = ConntrackListFormat(
            family: family.number, protocolNumber: protocolNumber, timeout: Int64(timeout), tcpState: tcpState,
            original: tupleText(original), reply: tupleText(reply), status: status)
        format.stateName = sctpState?.name
        format.originalZone = originalZone
        format.replyZone = replyZone
        format.originalCounters = originalCounters.map { ($0.packets, $0.bytes) }
        format.replyCounters = replyCounters.map { ($0.packets, $0.bytes) }
        format.mark = mark
        format.secmark = secmark
        format.zone = zone
        if let timestampStart {
            let stop = timestampStop.map { Int64($0 / 1_000_000_000) } ?? now ?? Int64(time(nil))
            format.deltaTime = UInt64(bitPattern: stop - Int64(timestampStart / 1_000_000_000))
        }
        format.helper = helper
        format.use = use
        return format.text
    }

    /// A tuple's text; GRE's keys (held as ports) print as `srckey=0x.. dstkey=0x..`.
    func tupleText(_ tuple: Tuple) -> String {
        guard protocolNumber == 47, case .ports(let source, let destination) = tuple.layer4 else { return tuple.description }
        return "src=\(tuple.source) dst=\(tuple.destination) srckey=0x\(String(source, radix: 16)) dstkey=0x\(String(destination, radix: 16))"
    }
}
