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

    /// The contract's protocol name: tcp, udp, icmp, icmpv6, or the number as a string.
    static func protocolName(_ number: UInt8) -> String {
        switch number {
        case 6: "tcp"
        case 17: "udp"
        case 1: "icmp"
        case 58: "icmpv6"
        default: String(number)
        }
    }

    static func tuple(_ tuple: KernelConntrackEntry.Tuple) -> JSON {
        var members: [(String, JSON)] = [("src", .string(tuple.source.description)), ("dst", .string(tuple.destination.description))]
        switch tuple.layer4 {
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
        .object([
            ("family", .string(entry.family.rawValue)),
            ("protocol", .string(protocolName(entry.protocolNumber))),
            ("protonum", .int(Int(entry.protocolNumber))),
            ("state", entry.tcpState.map { .string($0.name) } ?? .null),
            ("timeout", .int(Int(entry.timeout))),
            ("original", tuple(entry.original)),
            ("reply", tuple(entry.reply)),
            ("status", .array(entry.status.names.map { .string($0) })),
            ("mark", .int(Int(entry.mark))),
            ("zone", .int(Int(entry.zone))),
        ])
    }
}
