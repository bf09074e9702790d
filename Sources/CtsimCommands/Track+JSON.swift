import Conntrack

extension ConntrackTuple {
    /// `{"src", "dst", "sport", "dport"}`, or `"type", "code", "id"` for ICMP.
    var json: JSON {
        var members: [(String, JSON)] = [("src", .string(source.description)), ("dst", .string(destination.description))]
        if isICMP {
            members += [("type", .int(Int(icmpType))), ("code", .int(Int(icmpCode))), ("id", .int(Int(icmpID)))]
        } else if hasPorts {
            members += [("sport", .int(Int(sourcePort))), ("dport", .int(Int(destinationPort)))]
        }
        return .object(members)
    }
}

extension ConntrackEntry {
    /// The contract's ENTRY object.
    func json(now: Int64, hz: Int64, timeout: Int64? = nil) -> JSON {
        let name = ConntrackListFormat.protocolName(protocolNumber)
        return .object([
            ("family", .string(isIPv6 ? "ipv6" : "ipv4")),
            ("protocol", .string(name == "unknown" ? String(protocolNumber) : name)),
            ("protonum", .int(Int(protocolNumber))),
            ("state", tcpState.map { .string($0.name) } ?? .null),
            ("timeout", .int(timeout ?? remainingSeconds(now: now, hz: hz))),
            ("original", original.json),
            ("reply", reply.json),
            ("status", .array(status.names.map { .string($0) })),
            ("mark", .int(Int(mark))),
            ("zone", .int(Int(zone))),
        ])
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
