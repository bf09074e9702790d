import Conntrack
import KernelBackend

/// The two formats of a conntrack table shared by `ctsim track` and `ctsim table --live`:
/// `conntrack -L -o extended` lines and the contract's ENTRY objects.
enum TableFormat {
    /// `ipv4     2 tcp      6 ...`: the `-o extended` line (layer-3 name padded to 8 and number,
    /// then the `conntrack -L` line).
    static func extendedLine(_ entry: KernelConntrackEntry) -> String {
        let name = entry.family.rawValue
        return name + String(repeating: " ", count: max(0, 8 - name.count)) + " \(entry.family.number) "
            + entry.conntrackListLine()
    }

    /// The contract's protocol name: tcp, udp, icmp, icmpv6, or the number as a string (SCTP is
    /// "132"; its name is in the text format, and `protonum` says the same in every case).
    static func protocolName(_ number: UInt8) -> String {
        switch number {
        case 6: "tcp"
        case 17: "udp"
        case 1: "icmp"
        case 58: "icmpv6"
        default: String(number)
        }
    }

    static func tuple(_ tuple: KernelConntrackEntry.Tuple, gre: Bool = false) -> JSON {
        var members: [(String, JSON)] = [("src", .string(tuple.source.description)), ("dst", .string(tuple.destination.description))]
        switch tuple.layer4 {
        case .ports(let source, let destination) where gre:
            members += [("srckey", .int(Int(source))), ("dstkey", .int(Int(destination)))]
        case .ports(let source, let destination):
            members += [("sport", .int(Int(source))), ("dport", .int(Int(destination)))]
        case .icmp(let type, let code, let id):
            members += [("type", .int(Int(type))), ("code", .int(Int(code))), ("id", .int(Int(id)))]
        case .none:
            break
        }
        return .object(members)
    }

    /// One ENTRY object (contract.md).
    static func json(_ entry: KernelConntrackEntry) -> JSON {
        var members: [(String, JSON)] = [
            ("family", .string(entry.family.rawValue)),
            ("protocol", .string(protocolName(entry.protocolNumber))),
            ("protonum", .int(Int(entry.protocolNumber))),
            ("state", entry.tcpState.map { .string($0.name) } ?? .null),
            ("timeout", .int(Int(entry.timeout))),
            ("original", tuple(entry.original, gre: entry.protocolNumber == 47)),
            ("reply", tuple(entry.reply, gre: entry.protocolNumber == 47)),
            ("status", .array(entry.status.names.map { .string($0) })),
            ("mark", .int(Int(entry.mark))),
            ("zone", .int(Int(entry.zone))),
        ]
        // An addition to the contract's ENTRY, whose `state` is TCP's alone.
        if let sctp = entry.sctpState { members.append(("sctp_state", .string(sctp.name))) }
        // Also an addition: the counters, present only with `nf_conntrack_acct=1`.
        if let o = entry.originalCounters, let r = entry.replyCounters {
            members.append(
                (
                    "counters",
                    .object([
                        ("original", .object([("packets", .uint(o.packets)), ("bytes", .uint(o.bytes))])),
                        ("reply", .object([("packets", .uint(r.packets)), ("bytes", .uint(r.bytes))])),
                    ])
                ))
        }
        return .object(members)
    }
}
