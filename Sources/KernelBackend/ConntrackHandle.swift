import Conntrack
import CNetfilterConntrack
import Packets

#if canImport(Glibc)
import Glibc
#endif

/// A libnetfilter_conntrack query handle (`struct nfct_handle *` from `nfct_open(CONNTRACK, 0)`,
/// closed with `nfct_close`). Its netlink socket belongs to the namespace of the thread that
/// opened it. Not thread-safe: one handle, one thread.
final class ConntrackHandle {
    /// What a handle may do where.
    enum Scope {
        /// Every query, only from a thread outside the initial and the process's own namespace.
        case privateNamespace
        /// Dumps only (no flush, no change), in whatever namespace the calling thread is: how
        /// `ctsim table --live` reads the host's table, like `conntrack -L`.
        case readOnly
    }

    private let handle: OpaquePointer
    let scope: Scope

    /// Opens a handle (`nfct_open`). With `.privateNamespace` (the default) it refuses to in the
    /// initial network namespace.
    init(scope: Scope = .privateNamespace) throws(KernelError) {
        self.scope = scope
        if scope == .privateNamespace { try NamespaceIdentity.requireNotInitial() }
        guard let handle = nfct_open(UInt8(CONNTRACK), 0) else {
            throw KernelError.fromErrno("nfct_open(CONNTRACK, 0)", kind: .conntrack)
        }
        self.handle = handle
    }

    deinit { nfct_close(handle) }

    /// Dumps the whole table (`nfct_callback_register2` + `nfct_query(NFCT_Q_DUMP)` with
    /// `family`, AF_UNSPEC for both IPv4 and IPv6).
    ///
    /// - Parameter formatted: also collect each entry as `nfct_snprintf` prints it
    ///   (`NFCT_O_DEFAULT`, `NFCT_T_UNKNOWN`, no flags), for checking ctsim's own formatter.
    func dump(family: UInt32 = UInt32(AF_UNSPEC), formatted: Bool = false) throws(KernelError) -> DumpResult {
        if scope == .privateNamespace { try NamespaceIdentity.requireNotInitial() }
        let context = DumpContext(formatted: formatted)
        let callback: @convention(c) (
            UnsafePointer<nlmsghdr>?, nf_conntrack_msg_type, OpaquePointer?, UnsafeMutableRawPointer?
        ) -> Int32 = { message, _, ct, data in
            let context = Unmanaged<DumpContext>.fromOpaque(data!).takeUnretainedValue()
            guard let ct else { return Int32(NFCT_CB_CONTINUE) }
            context.receive(ct, message: message.map(UnsafeRawPointer.init))
            return Int32(NFCT_CB_CONTINUE)
        }
        let data = Unmanaged.passUnretained(context).toOpaque()
        guard nfct_callback_register2(handle, NFCT_T_ALL, callback, data) == 0 else {
            throw KernelError.fromErrno("nfct_callback_register2", kind: .conntrack)
        }
        defer { nfct_callback_unregister2(handle) }
        var family = family
        let rc = withExtendedLifetime(context) { nfct_query(handle, NFCT_Q_DUMP, &family) }
        if rc != 0 { throw KernelError.fromErrno("nfct_query(NFCT_Q_DUMP)", kind: .conntrack) }
        if let problem = context.problem { throw KernelError(.conntrack, problem) }
        return DumpResult(entries: context.entries, lines: context.lines)
    }

    /// Empties the namespace's table (`nfct_query(NFCT_Q_FLUSH)`).
    func flush() throws(KernelError) {
        guard scope == .privateNamespace else { throw KernelError(.refused, "a read-only conntrack handle never flushes") }
        try NamespaceIdentity.requireNotInitial()
        var family = UInt32(AF_UNSPEC)
        if nfct_query(handle, NFCT_Q_FLUSH, &family) != 0 {
            throw KernelError.fromErrno("nfct_query(NFCT_Q_FLUSH)", kind: .conntrack)
        }
    }

    struct DumpResult {
        var entries: [KernelConntrackEntry]
        var lines: [String]
    }
}

/// What the dump callback collects; reached through the `void *data` pointer.
private final class DumpContext {
    let formatted: Bool
    var entries: [KernelConntrackEntry] = []
    var lines: [String] = []
    var problem: String?

    init(formatted: Bool) {
        self.formatted = formatted
    }

    func receive(_ ct: OpaquePointer, message: UnsafeRawPointer?) {
        if let entry = Self.entry(ct, message: message) {
            entries.append(entry)
        } else if problem == nil {
            problem = "an entry of an unknown layer-3 family (\(nfct_get_attr_u8(ct, ATTR_L3PROTO))) in the dump"
        }
        if formatted {
            var buffer = [CChar](repeating: 0, count: 2048)
            _ = nfct_snprintf(&buffer, UInt32(buffer.count), ct, UInt32(NFCT_T_UNKNOWN.rawValue), UInt32(NFCT_O_DEFAULT), 0)
            lines.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    private static func isSet(_ ct: OpaquePointer, _ attribute: nf_conntrack_attr) -> Bool {
        nfct_attr_is_set(ct, attribute) > 0
    }

    /// Reads one entry through the typed getters (`nfct_get_attr*`): IPv4 addresses and ports
    /// arrive in network order, everything else in host order.
    static func entry(_ ct: OpaquePointer, message: UnsafeRawPointer?) -> KernelConntrackEntry? {
        let family: KernelConntrackEntry.Family
        switch Int32(nfct_get_attr_u8(ct, ATTR_L3PROTO)) {
        case AF_INET: family = .ipv4
        case AF_INET6: family = .ipv6
        default: return nil
        }
        let protocolNumber = nfct_get_attr_u8(ct, ATTR_L4PROTO)
        func address(_ v4: nf_conntrack_attr, _ v6: nf_conntrack_attr) -> IPAddress {
            switch family {
            case .ipv4:
                return .v4(IPv4Address(UInt32(bigEndian: nfct_get_attr_u32(ct, v4))))
            case .ipv6:
                guard let raw = nfct_get_attr(ct, v6) else { return .v6(IPv6Address(high: 0, low: 0)) }
                return .v6(IPv6Address(bytes: UnsafeRawBufferPointer(start: raw, count: 16)))
            }
        }
        let isICMP = protocolNumber == 1 || protocolNumber == 58
        // GRE's keys travel in the port attributes (`nf_ct_port_tuple_to_nlattr`).
        let hasPorts = [6, 17, 33, 47, 132, 136].contains(protocolNumber)
        func ports(_ source: nf_conntrack_attr, _ destination: nf_conntrack_attr) -> KernelConntrackEntry.Layer4 {
            .ports(
                source: UInt16(bigEndian: nfct_get_attr_u16(ct, source)),
                destination: UInt16(bigEndian: nfct_get_attr_u16(ct, destination)))
        }
        let originalLayer4: KernelConntrackEntry.Layer4
        let replyLayer4: KernelConntrackEntry.Layer4
        if isICMP {
            originalLayer4 = .icmp(
                type: nfct_get_attr_u8(ct, ATTR_ICMP_TYPE), code: nfct_get_attr_u8(ct, ATTR_ICMP_CODE),
                id: UInt16(bigEndian: nfct_get_attr_u16(ct, ATTR_ICMP_ID)))
            // libnetfilter_conntrack 1.0.9 has no getter for the reply tuple's ICMP fields: read
            // CTA_TUPLE_REPLY / CTA_TUPLE_PROTO from the netlink message itself.
            replyLayer4 = message.flatMap { replyICMP(message: $0, v6: protocolNumber == 58) } ?? originalLayer4
        } else if hasPorts {
            originalLayer4 = ports(ATTR_ORIG_PORT_SRC, ATTR_ORIG_PORT_DST)
            replyLayer4 = ports(ATTR_REPL_PORT_SRC, ATTR_REPL_PORT_DST)
        } else {
            originalLayer4 = .none
            replyLayer4 = .none
        }
        var entry = KernelConntrackEntry(
            family: family, protocolNumber: protocolNumber,
            original: .init(
                source: address(ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC),
                destination: address(ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST), layer4: originalLayer4),
            reply: .init(
                source: address(ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC),
                destination: address(ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST), layer4: replyLayer4),
            tcpState: protocolNumber == 6 && isSet(ct, ATTR_TCP_STATE)
                ? TCPConntrackState(rawValue: nfct_get_attr_u8(ct, ATTR_TCP_STATE)) : nil,
            status: ConntrackStatus(rawValue: nfct_get_attr_u32(ct, ATTR_STATUS)),
            timeout: nfct_get_attr_u32(ct, ATTR_TIMEOUT),
            mark: nfct_get_attr_u32(ct, ATTR_MARK),
            zone: nfct_get_attr_u16(ct, ATTR_ZONE),
            use: nfct_get_attr_u32(ct, ATTR_USE),
            id: nfct_get_attr_u32(ct, ATTR_ID))
        if protocolNumber == 132, isSet(ct, ATTR_SCTP_STATE) {
            entry.sctpState = SCTPConntrackState(rawValue: nfct_get_attr_u8(ct, ATTR_SCTP_STATE))
        }
        if isSet(ct, ATTR_ORIG_ZONE) { entry.originalZone = nfct_get_attr_u16(ct, ATTR_ORIG_ZONE) }
        if isSet(ct, ATTR_REPL_ZONE) { entry.replyZone = nfct_get_attr_u16(ct, ATTR_REPL_ZONE) }
        if isSet(ct, ATTR_ORIG_COUNTER_PACKETS), isSet(ct, ATTR_ORIG_COUNTER_BYTES) {
            entry.originalCounters = .init(
                packets: nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_PACKETS),
                bytes: nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_BYTES))
        }
        if isSet(ct, ATTR_REPL_COUNTER_PACKETS), isSet(ct, ATTR_REPL_COUNTER_BYTES) {
            entry.replyCounters = .init(
                packets: nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_PACKETS),
                bytes: nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_BYTES))
        }
        if isSet(ct, ATTR_TIMESTAMP_START) { entry.timestampStart = nfct_get_attr_u64(ct, ATTR_TIMESTAMP_START) }
        if isSet(ct, ATTR_TIMESTAMP_STOP) { entry.timestampStop = nfct_get_attr_u64(ct, ATTR_TIMESTAMP_STOP) }
        if isSet(ct, ATTR_SECMARK) { entry.secmark = nfct_get_attr_u32(ct, ATTR_SECMARK) }
        if isSet(ct, ATTR_HELPER_NAME), let name = nfct_get_attr(ct, ATTR_HELPER_NAME) {
            entry.helper = String(cString: name.assumingMemoryBound(to: CChar.self))
        }
        return entry
    }

    /// CTA_TUPLE_REPLY → CTA_TUPLE_PROTO → CTA_PROTO_ICMP{,V6}_{TYPE,CODE,ID}.
    private static func replyICMP(message: UnsafeRawPointer, v6: Bool) -> KernelConntrackEntry.Layer4? {
        let attributes = NetlinkAttributes.ofNetfilterMessage(message)
        guard let tuple = attributes.first(type: UInt16(CTA_TUPLE_REPLY.rawValue)),
            let proto = tuple.nested.first(type: UInt16(CTA_TUPLE_PROTO.rawValue))
        else { return nil }
        let fields = proto.nested
        let (typeKey, codeKey, idKey) =
            v6
            ? (CTA_PROTO_ICMPV6_TYPE.rawValue, CTA_PROTO_ICMPV6_CODE.rawValue, CTA_PROTO_ICMPV6_ID.rawValue)
            : (CTA_PROTO_ICMP_TYPE.rawValue, CTA_PROTO_ICMP_CODE.rawValue, CTA_PROTO_ICMP_ID.rawValue)
        guard let type = fields.first(type: UInt16(typeKey))?.u8,
            let code = fields.first(type: UInt16(codeKey))?.u8,
            let id = fields.first(type: UInt16(idKey))?.u16BigEndian
        else { return nil }
        return .icmp(type: type, code: code, id: id)
    }
}
