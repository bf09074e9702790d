import Packets

/// A packet at the network layer as conntrack sees it: `skb->len` bytes from the IP header,
/// the transport offset (`dataoff`), protocol and addresses.
struct NetworkPacket {
    var base: UnsafeRawPointer
    var length: Int
    var dataOffset: Int
    var protocolNumber: UInt8
    var family: UInt8
    var sourceHigh: UInt64 = 0
    var sourceLow: UInt64
    var destinationHigh: UInt64 = 0
    var destinationLow: UInt64
    /// Whether the router forwards it (TTL / hop limit above 1), so a new entry gets confirmed.
    var forwarded: Bool

    var transportLength: Int { length - dataOffset }

    @inline(__always)
    func tuple(sourcePort: UInt16, destinationPort: UInt16) -> ConntrackTuple {
        ConntrackTuple(
            sourceHigh: sourceHigh, sourceLow: sourceLow, destinationHigh: destinationHigh,
            destinationLow: destinationLow, sourcePort: sourcePort, destinationPort: destinationPort, family: family,
            protocolNumber: protocolNumber)
    }

    /// The transport checksum as `nf_checksum` verifies it: over `[dataoff, len)`, with the
    /// pseudo header unless `pseudo` is false (ICMP).
    @inline(__always)
    func checksumOK(pseudo: Bool) -> Bool {
        let initial =
            pseudo
            ? pseudoHeaderSum(
                family: family, sourceHigh: sourceHigh, sourceLow: sourceLow, destinationHigh: destinationHigh,
                destinationLow: destinationLow, protocolNumber: protocolNumber, length: transportLength) : 0
        return onesComplementSum(base + dataOffset, count: transportLength, initial: initial) == 0xFFFF
    }

    /// UDP-Lite's checksum as `udplite_error` verifies it: `nf_checksum_partial` over the first
    /// `coverage` bytes with a pseudo header of the whole length and protocol 17 (`IPPROTO_UDP`,
    /// not UDP-Lite's 136 that RFC 3828 specifies). For IPv4, `nf_ip_checksum_partial` hands
    /// `csum_tcpudp_nofold` the protocol and the length in each other's places, so the length
    /// lands in the 8-bit protocol parameter: only its low byte counts (measured on 6.18: a
    /// 302-byte datagram checksummed with its true length is INVALID).
    func udpLiteChecksumOK(coverage: Int) -> Bool {
        let initial = pseudoHeaderSum(
            family: family, sourceHigh: sourceHigh, sourceLow: sourceLow, destinationHigh: destinationHigh,
            destinationLow: destinationLow, protocolNumber: 17,
            length: family == 2 ? transportLength & 0xFF : transportLength)
        return onesComplementSum(base + dataOffset, count: coverage, initial: initial) == 0xFFFF
    }
}

extension ConntrackModel {
    // MARK: Input

    /// Processes one captured frame: link layer, IP input checks, defrag, conntrack.
    ///
    /// - Parameters:
    ///   - frame: the captured bytes.
    ///   - linkType: the capture's link type.
    ///   - timestamp: the capture timestamp (the virtual clock).
    /// - Returns: what conntrack made of it. Never fails: malformed packets are counted.
    @discardableResult
    public func process(frame: UnsafeRawBufferPointer, linkType: LinkType, timestamp: Timestamp) -> ConntrackVerdict {
        statistics.packets += 1
        advance(to: timestamp)
        let link: LinkLayerInfo
        do {
            link = try LinkLayerInfo.decode(frame, linkType: linkType)
        } catch {
            statistics.malformed += 1
            return .malformed
        }
        guard let base = frame.baseAddress, link.networkOffset <= frame.count else {
            statistics.malformed += 1
            return .malformed
        }
        let available = frame.count - link.networkOffset
        switch link.etherType {
        case EtherType.ipv4: return ipv4(base + link.networkOffset, available: available)
        case EtherType.ipv6: return ipv6(base + link.networkOffset, available: available)
        default:
            statistics.notIP += 1
            return .notIP
        }
    }

    /// Processes one IP packet (IPv4 or IPv6, by its version nibble).
    @discardableResult
    public func process(ipPacket: UnsafeRawBufferPointer, timestamp: Timestamp) -> ConntrackVerdict {
        statistics.packets += 1
        advance(to: timestamp)
        guard let base = ipPacket.baseAddress, ipPacket.count > 0 else {
            statistics.malformed += 1
            return .malformed
        }
        switch base.load(as: UInt8.self) >> 4 {
        case 4: return ipv4(base, available: ipPacket.count)
        case 6: return ipv6(base, available: ipPacket.count)
        default:
            statistics.malformed += 1
            return .malformed
        }
    }

    /// `ip_rcv_core` checks, defrag, then conntrack.
    func ipv4(_ p: UnsafeRawPointer, available: Int) -> ConntrackVerdict {
        guard available >= 20 else { return malformed() }
        let first = p.load(as: UInt8.self)
        let headerLength = Int(first & 0x0F) * 4
        guard first >> 4 == 4, headerLength >= 20, available >= headerLength,
            onesComplementSum(p, count: headerLength) == 0xFFFF
        else { return malformed() }
        let total = Int(p.loadBE16(2))
        guard total <= available, total >= headerLength else { return malformed() }
        let fragment = p.loadBE16(6)
        let source = UInt64(p.loadBE32(12))
        let destination = UInt64(p.loadBE32(16))
        let protocolNumber = p.load(fromByteOffset: 9, as: UInt8.self)
        if fragment & 0x3FFF != 0 {
            statistics.fragments += 1
            let key = Defragmenter.Key(
                family: 2, protocolNumber: protocolNumber, identification: UInt32(p.loadBE16(4)), sourceHigh: 0,
                sourceLow: source, destinationHigh: 0, destinationLow: destination)
            guard
                let whole = defragmenter.add(
                    key: key, header: UnsafeRawBufferPointer(start: p, count: headerLength), nextHeader: 0,
                    offset: Int(fragment & 0x1FFF) * 8, more: fragment & 0x2000 != 0,
                    data: UnsafeRawBufferPointer(start: p + headerLength, count: total - headerLength), now: now)
            else { return .fragmentHeld }
            statistics.fragments -= 1
            statistics.reassembled += 1
            return whole.withUnsafeBytes { ipv4($0.baseAddress!, available: $0.count) }
        }
        let packet = NetworkPacket(
            base: p, length: total, dataOffset: headerLength, protocolNumber: protocolNumber, family: 2,
            sourceLow: source, destinationLow: destination, forwarded: p.load(fromByteOffset: 8, as: UInt8.self) > 1)
        return conntrack(packet)
    }

    /// `ipv6_rcv` checks, defrag (`nf_ct_frag6_gather`), `ipv6_skip_exthdr`, then conntrack.
    func ipv6(_ p: UnsafeRawPointer, available: Int) -> ConntrackVerdict {
        guard available >= 40, p.load(as: UInt8.self) >> 4 == 6 else { return malformed() }
        let payload = Int(p.loadBE16(4))
        var next = p.load(fromByteOffset: 6, as: UInt8.self)
        guard 40 + payload <= available, payload > 0 || next != 0 else { return malformed() }
        let length = 40 + payload
        var packet = NetworkPacket(
            base: p, length: length, dataOffset: 40, protocolNumber: 0, family: 10, sourceHigh: p.loadBE64(8),
            sourceLow: p.loadBE64(16), destinationHigh: p.loadBE64(24), destinationLow: p.loadBE64(32),
            forwarded: p.load(fromByteOffset: 7, as: UInt8.self) > 1)
        var cursor = 40
        var headers = 0
        loop: while true {
            switch next {
            case 0, 43, 60, 51:
                if next == 0, headers > 0 { return invalid("hop-by-hop header not first") }
                guard cursor + 8 <= length else { return invalid("truncated extension header") }
                let size =
                    next == 51
                    ? (Int(p.load(fromByteOffset: cursor + 1, as: UInt8.self)) + 2) * 4
                    : (Int(p.load(fromByteOffset: cursor + 1, as: UInt8.self)) + 1) * 8
                next = p.load(fromByteOffset: cursor, as: UInt8.self)
                cursor += size
                headers += 1
            case 44:
                guard cursor + 8 <= length else { return invalid("truncated fragment header") }
                let field = p.loadBE16(cursor + 2)
                let fragmentNext = p.load(fromByteOffset: cursor, as: UInt8.self)
                if field & 0xFFF9 != 0 {
                    statistics.fragments += 1
                    let key = Defragmenter.Key(
                        family: 10, protocolNumber: 0, identification: p.loadBE32(cursor + 4),
                        sourceHigh: packet.sourceHigh, sourceLow: packet.sourceLow,
                        destinationHigh: packet.destinationHigh, destinationLow: packet.destinationLow)
                    guard
                        let whole = defragmenter.add(
                            key: key, header: UnsafeRawBufferPointer(start: p, count: cursor), nextHeader: fragmentNext,
                            offset: Int(field & 0xFFF8), more: field & 1 != 0,
                            data: UnsafeRawBufferPointer(start: p + cursor + 8, count: length - cursor - 8), now: now)
                    else { return .fragmentHeld }
                    statistics.fragments -= 1
                    statistics.reassembled += 1
                    return whole.withUnsafeBytes { ipv6($0.baseAddress!, available: $0.count) }
                }
                next = fragmentNext
                cursor += 8
                headers += 1
            case 59:
                return invalid("no next header")
            default:
                break loop
            }
            guard cursor <= length else { return invalid("extension headers beyond the packet") }
        }
        packet.dataOffset = cursor
        packet.protocolNumber = next
        return conntrack(packet)
    }

    @inline(never)
    func malformed() -> ConntrackVerdict {
        statistics.malformed += 1
        return .malformed
    }

    @inline(never)
    func invalid(_ reason: StaticString) -> ConntrackVerdict {
        statistics.invalid += 1
        lastInvalidReason = reason
        return .invalid
    }

    // MARK: nf_conntrack_in

    func conntrack(_ packet: NetworkPacket) -> ConntrackVerdict {
        let l4 = packet.transportLength
        let p = packet.base + packet.dataOffset
        let tuple: ConntrackTuple
        switch packet.protocolNumber {
        case 6, 17, 136, 132, 33:
            guard l4 >= 4 else { return invalid("no room for ports") }
            tuple = packet.tuple(sourcePort: p.loadBE16(0), destinationPort: p.loadBE16(2))
        case 1, 58:
            let isV6 = packet.family == 10
            guard (packet.protocolNumber == 58) == isV6 else {
                return l4 >= 8 ? invalid("ICMP of the other family") : invalid("short packet")
            }
            guard l4 >= 8 else { return invalid("short packet") }
            if checksums, !packet.checksumOK(pseudo: isV6) { return invalid("bad ICMP checksum") }
            let type = p.load(as: UInt8.self)
            if isV6 {
                switch type {
                case 130, 131, 132, 133, 134, 135, 136, 143:
                    statistics.untracked += 1
                    return .untracked
                default:
                    if type < 128 { return related(packet, quoted: packet.dataOffset + 8) }
                }
            } else {
                if type > 18 { return invalid("invalid icmp type") }
                switch type {
                case 3, 4, 5, 11, 12: return related(packet, quoted: packet.dataOffset + 8)
                default: break
                }
            }
            tuple = packet.tuple(
                sourcePort: p.loadBE16(4), destinationPort: UInt16(type) << 8 | UInt16(p.load(fromByteOffset: 1, as: UInt8.self)))
        case 47:
            guard let keys = GREKeys(p, length: l4) else { return invalid("unsupported GRE protocol") }
            tuple = packet.tuple(sourcePort: keys.source, destinationPort: keys.destination)
        default:
            tuple = packet.tuple(sourcePort: 0, destinationPort: 0)
        }
        return resolve(packet, tuple)
    }

    /// Looks the tuple up, creates an entry when there is none, runs the protocol tracker.
    func resolve(_ packet: NetworkPacket, _ tuple: ConntrackTuple) -> ConntrackVerdict {
        var attempts = 0
        while true {
            attempts += 1
            let hash = tuple.hash(zone: 0)
            var key = table.find(tuple, zone: 0, hash: hash)
            if key >= 0, table[key >> 1].timeout - now <= 0 {
                expire(key >> 1)
                key = -1
            }
            if key < 0 { return create(packet, tuple, hash: hash) }
            let index = key >> 1
            let direction = UInt8(key & 1)
            let entry = table.pointer(index)
            var changed = false
            let verdict = handle(packet, &entry.pointee, direction: direction, isNew: false, changed: &changed)
            switch verdict {
            case .accept, .ignore:
                if accounting, verdict == .accept { table.account(index, direction: direction, bytes: packet.length) }
                if direction == 1, !entry.pointee.status.contains(.seenReply) {
                    entry.pointee.status.insert(.seenReply)
                    changed = true
                }
                noteTimeout(entry.pointee.timeout)
                if changed { emit(.update, entry.pointee) }
                statistics.tracked += 1
                return direction == 1 ? .reply : .established
            case .invalid(let reason):
                if changed { emit(.update, entry.pointee) }
                return invalid(reason)
            case .kill:
                statistics.deleted += 1
                delete(index)
                statistics.tracked += 1
                return direction == 1 ? .reply : .established
            case .repeatLookup:
                statistics.deleted += 1
                delete(index)
                if attempts > 1 { return invalid("repeated lookup") }
            }
        }
    }

    /// `init_conntrack`, the tracker's checks for a new entry, and confirmation.
    func create(_ packet: NetworkPacket, _ tuple: ConntrackTuple, hash: UInt32) -> ConntrackVerdict {
        guard let reply = invert(tuple) else { return invalid("cannot invert tuple") }
        if table.maximum > 0, table.count >= table.maximum, !earlyDrop(hash: hash) {
            statistics.dropped += 1
            return .dropped
        }
        var entry = ConntrackEntry(original: tuple, reply: reply)
        var changed = false
        let verdict = handle(packet, &entry, direction: 0, isNew: true, changed: &changed)
        switch verdict {
        case .accept, .ignore: break
        case .invalid(let reason): return invalid(reason)
        case .kill, .repeatLookup: return invalid("new entry killed")
        }
        statistics.tracked += 1
        guard packet.forwarded else { return .new }  // never reaches POSTROUTING: not confirmed
        entry.status.insert(.confirmed)
        noteTimeout(entry.timeout)
        let index = table.insertUnchecked(entry)
        if accounting, verdict == .accept { table.account(index, direction: 0, bytes: packet.length) }
        statistics.created += 1
        emit(.new, entry)
        return .new
    }

    /// `nf_ct_invert_tuple`: swap the directions; ICMP maps request and reply types.
    func invert(_ tuple: ConntrackTuple) -> ConntrackTuple? {
        var reply = tuple.swapped
        switch tuple.protocolNumber {
        case 1, 58:
            guard let type = ICMPTypes.inverse(tuple.icmpType, v6: tuple.protocolNumber == 58) else { return nil }
            reply.sourcePort = tuple.sourcePort
            reply.destinationPort = UInt16(type) << 8 | UInt16(tuple.icmpCode)
        default:
            break
        }
        return reply
    }

    /// `nf_conntrack_handle_packet`: the protocol tracker of the entry.
    func handle(
        _ packet: NetworkPacket, _ ct: inout ConntrackEntry, direction: UInt8, isNew: Bool, changed: inout Bool
    ) -> L4Verdict {
        let p = packet.base + packet.dataOffset
        let l4 = packet.transportLength
        switch packet.protocolNumber {
        case 6:
            // tcp_error
            guard l4 >= 20 else { return .invalid("truncated packet") }
            let segment = TCPSegmentView(header: p, length: l4)
            guard segment.headerLength >= 20, l4 >= segment.headerLength else { return .invalid("truncated packet") }
            if checksums, !packet.checksumOK(pseudo: true) { return .invalid("bad checksum") }
            guard TCPTracker.validFlags(segment.flags) else { return .invalid("invalid tcp flag combination") }
            if isNew, !tcp.new(&ct, segment) { return .invalid("invalid new") }
            return tcp.packet(&ct, segment, direction: direction, now: now, changed: &changed)
        case 17, 136:
            guard l4 >= 8 else { return .invalid("short packet") }
            let length = Int(p.loadBE16(4))
            if packet.protocolNumber == 17 {
                guard length <= l4, length >= 8 else { return .invalid("truncated/malformed packet") }
                if p.loadBE16(6) != 0, checksums, !packet.checksumOK(pseudo: true) { return .invalid("bad checksum") }
                if isNew { ct.udpStreamTimestamp = now + 2 * hz }
            } else {
                guard length == 0 || (length >= 8 && length <= l4) else { return .invalid("invalid checksum coverage") }
                guard p.loadBE16(6) != 0 else { return .invalid("checksum missing") }
                if checksums, !packet.udpLiteChecksumOK(coverage: length == 0 ? l4 : length) {
                    return .invalid("bad checksum")
                }
                // `nf_conntrack_udplite_packet` has no 2 s stream rule: any packet after a reply
                // makes the entry a stream (120 s) and ASSURED.
                if isNew { ct.udpStreamTimestamp = .min }
            }
            if ct.status.contains(.seenReply) {
                var extra = udpTimeout
                var stream = false
                if ct.udpStreamTimestamp < now {
                    extra = udpStreamTimeout
                    stream = !ct.status.contains(.assured)
                }
                refresh(&ct, extra)
                if ct.status.contains(.untracked) { return .accept }  // IPS_NAT_CLASH
                if stream {
                    ct.status.insert(.assured)
                    changed = true
                }
            } else {
                refresh(&ct, udpTimeout)
            }
            return .accept
        case 1, 58:
            let v6 = packet.protocolNumber == 58
            let type = ct.original.icmpType
            let validNew = v6 ? (type == 128 || type == 139) : (type == 8 || type == 13 || type == 15 || type == 17)
            if !validNew { return .invalid("can't create a new ICMP connection with this type") }
            refresh(&ct, v6 ? icmpv6Timeout : icmpTimeout)
            return .accept
        case 132:
            return sctp.packet(&ct, p, length: l4, direction: direction, isNew: isNew, now: now, changed: &changed)
        case 47:
            if ct.status.contains(.seenReply) {
                refresh(&ct, greStreamTimeout)
                if !ct.status.contains(.assured) {
                    ct.status.insert(.assured)
                    changed = true
                }
            } else {
                refresh(&ct, greTimeout)
            }
            return .accept
        default:
            refresh(&ct, genericTimeout)
            return .accept
        }
    }

    @inline(__always)
    func refresh(_ ct: inout ConntrackEntry, _ timeout: Int64) {
        if !ct.status.contains(.fixedTimeout) { ct.timeout = now + timeout }
    }

    // MARK: ICMP errors

    /// `nf_conntrack_inet_error`: the quoted packet's tuple, inverted, must name a connection whose
    /// destination in that direction is the error's destination; the error is then RELATED to it
    /// (no entry of its own, no refresh).
    func related(_ packet: NetworkPacket, quoted offset: Int) -> ConntrackVerdict {
        let p = packet.base
        let end = packet.length
        var inner = NetworkPacket(
            base: p, length: end, dataOffset: 0, protocolNumber: 0, family: packet.family, sourceLow: 0,
            destinationLow: 0, forwarded: false)
        if packet.family == 2 {
            guard offset + 20 <= end else { return invalid("failed to get the quoted tuple") }
            let fragment = p.loadBE16(offset + 6)
            guard fragment & 0x1FFF == 0 else { return invalid("quoted fragment") }
            let headerLength = Int(p.load(fromByteOffset: offset, as: UInt8.self) & 0x0F) * 4
            guard offset + headerLength <= end else { return invalid("bogus quoted header") }
            inner.sourceLow = UInt64(p.loadBE32(offset + 12))
            inner.destinationLow = UInt64(p.loadBE32(offset + 16))
            inner.protocolNumber = p.load(fromByteOffset: offset + 9, as: UInt8.self)
            inner.dataOffset = offset + headerLength
        } else {
            guard offset + 40 <= end else { return invalid("failed to get the quoted tuple") }
            inner.sourceHigh = p.loadBE64(offset + 8)
            inner.sourceLow = p.loadBE64(offset + 16)
            inner.destinationHigh = p.loadBE64(offset + 24)
            inner.destinationLow = p.loadBE64(offset + 32)
            var next = p.load(fromByteOffset: offset + 6, as: UInt8.self)
            var cursor = offset + 40
            scan: while true {
                switch next {
                case 0, 43, 60, 51:
                    guard cursor + 2 <= end else { return invalid("failed to get the quoted tuple") }
                    let size =
                        next == 51
                        ? (Int(p.load(fromByteOffset: cursor + 1, as: UInt8.self)) + 2) * 4
                        : (Int(p.load(fromByteOffset: cursor + 1, as: UInt8.self)) + 1) * 8
                    next = p.load(fromByteOffset: cursor, as: UInt8.self)
                    cursor += size
                case 44:
                    guard cursor + 8 <= end else { return invalid("failed to get the quoted tuple") }
                    if p.loadBE16(cursor + 2) & 0xFFF8 != 0 { return invalid("quoted fragment") }
                    next = p.load(fromByteOffset: cursor, as: UInt8.self)
                    cursor += 8
                case 59:
                    return invalid("failed to get the quoted tuple")
                default:
                    break scan
                }
            }
            guard cursor <= end else { return invalid("failed to get the quoted tuple") }
            inner.protocolNumber = next
            inner.dataOffset = cursor
        }
        let q = p + inner.dataOffset
        let room = end - inner.dataOffset
        let original: ConntrackTuple
        switch inner.protocolNumber {
        case 6, 17, 136, 132, 33:
            guard room >= 4 else { return invalid("failed to get the quoted tuple") }
            original = inner.tuple(sourcePort: q.loadBE16(0), destinationPort: q.loadBE16(2))
        case 1, 58:
            guard room >= 8 else { return invalid("failed to get the quoted tuple") }
            original = inner.tuple(
                sourcePort: q.loadBE16(4),
                destinationPort: UInt16(q.load(as: UInt8.self)) << 8 | UInt16(q.load(fromByteOffset: 1, as: UInt8.self)))
        case 47:
            guard let keys = GREKeys(q, length: room) else { return invalid("failed to get the quoted tuple") }
            original = inner.tuple(sourcePort: keys.source, destinationPort: keys.destination)
        default:
            original = inner.tuple(sourcePort: 0, destinationPort: 0)
        }
        guard let wanted = invert(original) else { return invalid("cannot invert the quoted tuple") }
        guard let (index, direction) = lookup(wanted) else { return invalid("no connection for the quoted packet") }
        let ct = table[index].tuple(direction)
        guard ct.destinationHigh == packet.destinationHigh, ct.destinationLow == packet.destinationLow else {
            return invalid("outer daddr != inner")
        }
        statistics.related += 1
        return .related
    }
}

/// ICMP and ICMPv6 request/reply pairs (`invmap` of the kernel's ICMP trackers).
enum ICMPTypes {
    static func inverse(_ type: UInt8, v6: Bool) -> UInt8? {
        if v6 {
            switch type {
            case 128: return 129
            case 129: return 128
            case 139: return 140
            case 140: return 139
            default: return nil
            }
        }
        switch type {
        case 8: return 0
        case 0: return 8
        case 13: return 14
        case 14: return 13
        case 15: return 16
        case 16: return 15
        case 17: return 18
        case 18: return 17
        default: return nil
        }
    }
}
