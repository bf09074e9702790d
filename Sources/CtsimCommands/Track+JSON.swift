import Conntrack

extension ConntrackTuple {
    /// `{"src", "dst", "sport", "dport"}`, or `"type", "code", "id"` for ICMP.
    var json: JSON {
        var members: [(String, JSON)] = [("src", .string(source.description)), ("dst", .string(destination.description))]
        if isICMP {
            members += [("type", .int(Int(icmpType))), ("code", .int(Int(icmpCode))), ("id", .int(Int(icmpID)))]
        } else if hasPorts {
            members += [("sport", .int(Int(sourcePort))), ("dport", .int(Int(destinationPort)))]
        } else if protocolNumber == 47 {
            members += [("srckey", .int(Int(sourcePort))), ("dstkey", .int(Int(destinationPort)))]
        }
        return .object(members)
    }
}

extension ConntrackEntry {
    /// The contract's ENTRY object.
    /// With `counters` (`nf_conntrack_acct=1`), an added `"counters": {"original": {"packets",
    /// "bytes"}, "reply": {...}}`.
    func json(now: Int64, hz: Int64, timeout: Int64? = nil, counters: ConntrackCounters? = nil) -> JSON {
        var members: [(String, JSON)] = [
            ("family", .string(isIPv6 ? "ipv6" : "ipv4")),
            ("protocol", .string(TableFormat.protocolName(protocolNumber))),
            ("protonum", .int(Int(protocolNumber))),
            ("state", tcpState.map { .string($0.name) } ?? .null),
            ("timeout", .int(timeout ?? remainingSeconds(now: now, hz: hz))),
            ("original", original.json),
            ("reply", reply.json),
            ("status", .array(status.names.map { .string($0) })),
            ("mark", .int(Int(mark))),
            ("zone", .int(Int(zone))),
        ]
        // An addition to the contract's ENTRY, whose `state` is TCP's alone.
        if let sctp = sctpState { members.append(("sctp_state", .string(sctp.name))) }
        if let counters {
            func direction(_ d: UInt8) -> JSON {
                let c = counters.direction(d)
                return .object([("packets", .uint(c.packets)), ("bytes", .uint(c.bytes))])
            }
            members.append(("counters", .object([("original", direction(0)), ("reply", direction(1))])))
        }
        return .object(members)
    }
}

extension ConntrackEvent {
    /// `{"type": "NEW", "time": seconds, "entry": ENTRY}`; an expired entry's DESTROY has a null timeout.
    func json(hz: Int64) -> JSON {
        var object = entry.json(now: time, hz: hz, timeout: timeout ?? 0)
        if case .object(var members) = object, timeout == nil {
            members = members.map { $0.0 == "timeout" ? ("timeout", .null) : $0 }
            object = .object(members)
        }
        return .object([
            ("type", .string(kind.rawValue)), ("jiffies", .int(time)), ("entry", object),
        ])
    }
}

extension ConntrackStatistics {
    var json: JSON {
        .object([
            ("tracked", .int(tracked)), ("created", .int(created)), ("invalid", .int(invalid)),
            ("related", .int(related)), ("untracked", .int(untracked)), ("not_ip", .int(notIP)),
            ("malformed", .int(malformed)), ("fragments_held", .int(fragments)), ("reassembled", .int(reassembled)),
            ("dropped_table_full", .int(dropped)), ("early_drops", .int(earlyDrops)), ("expired", .int(expired)),
            ("deleted", .int(deleted)),
        ])
    }
}
