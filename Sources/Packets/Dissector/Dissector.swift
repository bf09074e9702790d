/// Decodes frames layer by layer: link (Ethernet, VLAN tags, Linux cooked, loopback, raw IP),
/// IPv4 (options, checksum, fragments), IPv6 (extension headers, fragment header), TCP (options),
/// UDP, ICMP and ICMPv6 (with the packet quoted in error messages).
public struct Dissector: Sendable {
    public var linkType: LinkType

    public init(linkType: LinkType) { self.linkType = linkType }

    /// Dissects one frame.
    ///
    /// - Parameters:
    ///   - frame: the captured bytes.
    ///   - originalLength: the length on the wire, to tell a frame cut by the snapshot length
    ///     from a malformed one; defaults to the captured length.
    public func dissect(_ frame: UnsafeRawBufferPointer, originalLength: Int? = nil) -> Dissection {
        var result = Dissection()
        result.capturedShort = (originalLength ?? frame.count) > frame.count
        var state = Walker(frame: frame, capturedShort: result.capturedShort)
        do {
            try state.walk(linkType: linkType, into: &result)
        } catch {
            result.error = error
        }
        return result
    }

    /// Dissects one frame held in an array.
    public func dissect(_ frame: [UInt8], originalLength: Int? = nil) -> Dissection {
        frame.withUnsafeBytes { dissect($0, originalLength: originalLength) }
    }

    /// Dissects a captured packet.
    public func dissect(_ packet: CapturedPacket) -> Dissection {
        packet.data.withUnsafeBytes { dissect($0, originalLength: packet.originalLength) }
    }
}

/// The upper-layer protocol numbers that IPv6 treats as extension headers.
private let ipv6ExtensionHeaders: Set<UInt8> = [0, 43, 44, 51, 60, 135, 139, 140]

private struct Walker {
    let frame: UnsafeRawBufferPointer
    let capturedShort: Bool

    init(frame: UnsafeRawBufferPointer, capturedShort: Bool) {
        self.frame = frame
        self.capturedShort = capturedShort
    }

    var n: Int { frame.count }

    /// An error for a header that needs `needed` bytes at `offset` but the frame has fewer.
    func short(_ layer: Layer, at offset: Int, _ what: String, needs needed: Int, end: Int? = nil) -> DissectionError {
        let have = max(0, (end ?? n) - offset)
        if capturedShort, end == nil || end! >= n {
            return DissectionError(layer, at: offset, "\(what) needs \(needed) bytes, the capture kept \(have) (snapshot length)")
        }
        return DissectionError(layer, at: offset, "\(what) needs \(needed) bytes, \(have) present")
    }

    mutating func walk(linkType: LinkType, into result: inout Dissection) throws(DissectionError) {
        let link = try LinkLayerInfo.decode(frame, linkType: linkType)
        result.link = link
        switch link.etherType {
        case EtherType.ipv4:
            try ipv4(at: link.networkOffset, into: &result)
        case EtherType.ipv6:
            try ipv6(at: link.networkOffset, into: &result)
        case EtherType.arp:
            result.network = .arp
        default:
            result.network = .other(etherType: link.etherType)
        }
    }

    // MARK: IPv4

    func parseIPv4(at o: Int, end limit: Int, quoted: Bool) throws(DissectionError) -> IPv4Header {
        guard limit - o >= 20 else { throw short(.ipv4, at: o, "IPv4 header", needs: 20, end: limit) }
        let version = frame.u8(o) >> 4
        guard version == 4 else { throw DissectionError(.ipv4, at: o, "version is \(version), not 4") }
        let headerLength = Int(frame.u8(o) & 0x0F) * 4
        guard headerLength >= 20 else {
            throw DissectionError(.ipv4, at: o, "header length \(headerLength) is below the minimum of 20")
        }
        guard limit - o >= headerLength else {
            throw short(.ipv4, at: o, "IPv4 header with options", needs: headerLength, end: limit)
        }
        let totalLength = Int(frame.u16(o + 2))
        if !quoted {
            guard totalLength >= headerLength else {
                throw DissectionError(.ipv4, at: o + 2, "total length \(totalLength) is below the header length \(headerLength)")
            }
            if totalLength > limit - o, !capturedShort {
                throw DissectionError(.ipv4, at: o + 2, "total length \(totalLength) exceeds the \(limit - o) bytes present")
            }
        }
        var options: [IPv4Option] = []
        var i = o + 20
        let optionsEnd = o + headerLength
        while i < optionsEnd {
            let type = frame.u8(i)
            if type == 0 {
                options.append(IPv4Option(type: 0, length: 1))
                break
            }
            if type == 1 {
                options.append(IPv4Option(type: 1, length: 1))
                i += 1
                continue
            }
            guard i + 1 < optionsEnd else {
                throw DissectionError(.ipv4, at: i, "option \(type) has no length byte")
            }
            let length = Int(frame.u8(i + 1))
            guard length >= 2, i + length <= optionsEnd else {
                throw DissectionError(.ipv4, at: i, "option \(type) has length \(length), \(optionsEnd - i) bytes of options left")
            }
            options.append(IPv4Option(type: type, length: length))
            i += length
        }
        var sum = InternetChecksum()
        sum.add(UnsafeRawBufferPointer(rebasing: frame[o..<(o + headerLength)]))
        let flagsFragment = frame.u16(o + 6)
        return IPv4Header(
            offset: o, headerLength: headerLength, tos: frame.u8(o + 1), totalLength: totalLength,
            identification: frame.u16(o + 4), dontFragment: flagsFragment & 0x4000 != 0,
            moreFragments: flagsFragment & 0x2000 != 0, fragmentOffset: Int(flagsFragment & 0x1FFF) * 8,
            ttl: frame.u8(o + 8), protocolNumber: frame.u8(o + 9), checksum: frame.u16(o + 10),
            checksumValid: sum.folded == 0xFFFF, source: IPv4Address(frame.u32(o + 12)),
            destination: IPv4Address(frame.u32(o + 16)), options: options)
    }

    mutating func ipv4(at o: Int, into result: inout Dissection) throws(DissectionError) {
        let header = try parseIPv4(at: o, end: n, quoted: false)
        result.network = .ipv4(header)
        if !header.checksumValid { result.checksumErrors.append(.ipv4) }
        let end = min(o + header.totalLength, n)
        let start = o + header.headerLength
        if header.isFragment {
            result.fragment = FragmentInfo(
                identification: UInt32(header.identification), offset: header.fragmentOffset,
                moreFragments: header.moreFragments, protocolNumber: header.protocolNumber)
            if header.fragmentOffset != 0 {
                result.payloadOffset = start
                result.payloadLength = end - start
                return
            }
        }
        let complete = !header.isFragment && o + header.totalLength <= n
        var pseudo = InternetChecksum()
        pseudo.addPseudoHeader(
            source: header.source, destination: header.destination, protocolNumber: header.protocolNumber,
            length: header.totalLength - header.headerLength)
        try transport(
            header.protocolNumber, at: start, end: end, complete: complete, pseudo: pseudo, v6: false, into: &result)
    }

    // MARK: IPv6

    func parseIPv6Fixed(at o: Int, end limit: Int) throws(DissectionError) -> IPv6Header {
        guard limit - o >= 40 else { throw short(.ipv6, at: o, "IPv6 header", needs: 40, end: limit) }
        let first = frame.u32(o)
        let version = first >> 28
        guard version == 6 else { throw DissectionError(.ipv6, at: o, "version is \(version), not 6") }
        return IPv6Header(
            offset: o, trafficClass: UInt8(first >> 20 & 0xFF), flowLabel: first & 0xFFFFF,
            payloadLength: Int(frame.u16(o + 4)), nextHeader: frame.u8(o + 6), hopLimit: frame.u8(o + 7),
            source: IPv6Address(high: frame.u64(o + 8), low: frame.u64(o + 16)),
            destination: IPv6Address(high: frame.u64(o + 24), low: frame.u64(o + 32)),
            extensionHeaders: [], fragment: nil, upperLayerProtocol: frame.u8(o + 6), upperLayerOffset: o + 40)
    }

    /// Walks the extension-header chain from `o + 40` up to `end`.
    func walkExtensions(_ header: inout IPv6Header, end: Int, tolerateShort: Bool) throws(DissectionError) {
        var next = header.nextHeader
        var cursor = header.offset + 40
        while ipv6ExtensionHeaders.contains(next) {
            if next == 0, !header.extensionHeaders.isEmpty {
                throw DissectionError(.ipv6Extension, at: cursor, "hop-by-hop options header is not the first extension header")
            }
            guard end - cursor >= 8 else {
                if tolerateShort { break }
                throw short(.ipv6Extension, at: cursor, "extension header \(next)", needs: 8, end: end)
            }
            let length: Int
            switch next {
            case 44: length = 8
            case 51: length = (Int(frame.u8(cursor + 1)) + 2) * 4
            default: length = (Int(frame.u8(cursor + 1)) + 1) * 8
            }
            guard end - cursor >= length else {
                if tolerateShort { break }
                throw short(.ipv6Extension, at: cursor, "extension header \(next)", needs: length, end: end)
            }
            if next == 44 {
                let field = frame.u16(cursor + 2)
                header.fragment = IPv6Fragment(
                    offset: Int(field >> 3) * 8, moreFragments: field & 1 != 0, identification: frame.u32(cursor + 4))
            }
            header.extensionHeaders.append(IPv6ExtensionHeader(protocolNumber: next, offset: cursor, length: length))
            next = frame.u8(cursor)
            cursor += length
            if header.fragment.map({ $0.offset != 0 }) == true { break }
        }
        header.upperLayerProtocol = next
        header.upperLayerOffset = cursor
    }

    mutating func ipv6(at o: Int, into result: inout Dissection) throws(DissectionError) {
        var header = try parseIPv6Fixed(at: o, end: n)
        if header.payloadLength == 0, header.nextHeader == 0 {
            result.network = .ipv6(header)
            throw DissectionError(.ipv6, at: o + 4, "payload length 0 with hop-by-hop options: jumbograms are not supported")
        }
        if o + 40 + header.payloadLength > n, !capturedShort {
            result.network = .ipv6(header)
            throw DissectionError(.ipv6, at: o + 4, "payload length \(header.payloadLength) exceeds the \(n - o - 40) bytes present")
        }
        let end = min(o + 40 + header.payloadLength, n)
        result.network = .ipv6(header)
        try walkExtensions(&header, end: end, tolerateShort: false)
        result.network = .ipv6(header)
        if let fragment = header.fragment, fragment.moreFragments || fragment.offset != 0 {
            result.fragment = FragmentInfo(
                identification: fragment.identification, offset: fragment.offset,
                moreFragments: fragment.moreFragments, protocolNumber: header.upperLayerProtocol)
            if fragment.offset != 0 {
                result.payloadOffset = header.upperLayerOffset
                result.payloadLength = end - header.upperLayerOffset
                return
            }
        }
        let upperLength = o + 40 + header.payloadLength - header.upperLayerOffset
        var pseudo = InternetChecksum()
        pseudo.addPseudoHeader(
            source: header.source, destination: header.destination, protocolNumber: header.upperLayerProtocol,
            length: upperLength)
        let complete = !header.isFragment && o + 40 + header.payloadLength <= n
        try transport(
            header.upperLayerProtocol, at: header.upperLayerOffset, end: end, complete: complete, pseudo: pseudo,
            v6: true, into: &result)
    }

    // MARK: Transport

    func checksumOK(_ pseudo: InternetChecksum, from start: Int, to end: Int) -> Bool {
        var sum = pseudo
        sum.add(UnsafeRawBufferPointer(rebasing: frame[start..<end]))
        return sum.folded == 0xFFFF
    }

    mutating func transport(
        _ protocolNumber: UInt8, at o: Int, end: Int, complete: Bool, pseudo: InternetChecksum, v6: Bool,
        into result: inout Dissection
    ) throws(DissectionError) {
        switch protocolNumber {
        case 6:
            guard end - o >= 20 else { throw short(.tcp, at: o, "TCP header", needs: 20, end: end) }
            let headerLength = Int(frame.u8(o + 12) >> 4) * 4
            guard headerLength >= 20 else {
                throw DissectionError(.tcp, at: o + 12, "data offset \(headerLength / 4) words is below the minimum of 5")
            }
            guard end - o >= headerLength else {
                throw short(.tcp, at: o, "TCP header with options", needs: headerLength, end: end)
            }
            let options = try tcpOptions(from: o + 20, to: o + headerLength)
            let valid: Bool? = complete ? checksumOK(pseudo, from: o, to: end) : nil
            let header = TCPHeader(
                offset: o, sourcePort: frame.u16(o), destinationPort: frame.u16(o + 2), sequence: frame.u32(o + 4),
                acknowledgement: frame.u32(o + 8), headerLength: headerLength,
                flags: TCPFlags(rawValue: frame.u16(o + 12) & 0x01FF), window: frame.u16(o + 14),
                checksum: frame.u16(o + 16), checksumValid: valid, urgentPointer: frame.u16(o + 18),
                options: options, payloadLength: end - o - headerLength)
            result.transport = .tcp(header)
            if valid == false { result.checksumErrors.append(.tcp) }
            result.payloadOffset = o + headerLength
            result.payloadLength = end - o - headerLength
        case 17:
            guard end - o >= 8 else { throw short(.udp, at: o, "UDP header", needs: 8, end: end) }
            let length = Int(frame.u16(o + 4))
            guard length >= 8 else { throw DissectionError(.udp, at: o + 4, "length \(length) is below the header's 8") }
            if complete {
                guard length <= end - o else {
                    throw DissectionError(.udp, at: o + 4, "length \(length) exceeds the \(end - o) bytes of IP payload")
                }
            }
            let checksum = frame.u16(o + 6)
            var valid: Bool?
            if complete, o + length <= end {
                if checksum == 0 {
                    valid = v6 ? false : nil  // IPv6 forbids a zero UDP checksum (RFC 8200 8.1)
                } else {
                    var sum = InternetChecksum()
                    if v6 {
                        sum.addPseudoHeader(
                            source: result.ipv6!.source, destination: result.ipv6!.destination,
                            protocolNumber: protocolNumber, length: length)
                    } else {
                        sum.addPseudoHeader(
                            source: result.ipv4!.source, destination: result.ipv4!.destination,
                            protocolNumber: protocolNumber, length: length)
                    }
                    sum.add(UnsafeRawBufferPointer(rebasing: frame[o..<(o + length)]))
                    valid = sum.folded == 0xFFFF
                }
            }
            result.transport = .udp(
                UDPHeader(
                    offset: o, sourcePort: frame.u16(o), destinationPort: frame.u16(o + 2), length: length,
                    checksum: checksum, checksumValid: valid))
            if valid == false { result.checksumErrors.append(.udp) }
            result.payloadOffset = o + 8
            result.payloadLength = min(length, end - o) - 8
        case 1 where !v6, 58 where v6:
            let layer: Layer = v6 ? .icmpv6 : .icmp
            guard end - o >= 8 else { throw short(layer, at: o, v6 ? "ICMPv6 header" : "ICMP header", needs: 8, end: end) }
            let type = frame.u8(o)
            var valid: Bool?
            if complete {
                if v6 {
                    valid = checksumOK(pseudo, from: o, to: end)
                } else {
                    var sum = InternetChecksum()
                    sum.add(UnsafeRawBufferPointer(rebasing: frame[o..<end]))
                    valid = sum.folded == 0xFFFF
                }
            }
            var header = ICMPHeader(
                offset: o, type: type, code: frame.u8(o + 1), checksum: frame.u16(o + 2), checksumValid: valid,
                restOfHeader: frame.u32(o + 4), embedded: nil, length: end - o)
            let isError = v6 ? (1...4).contains(type) : [3, 4, 5, 11, 12].contains(type)
            result.transport = v6 ? .icmpv6(header) : .icmp(header)
            if valid == false { result.checksumErrors.append(layer) }
            result.payloadOffset = o + 8
            result.payloadLength = end - o - 8
            if isError {
                do {
                    header.embedded = try embedded(at: o + 8, end: end, v6: v6)
                } catch {
                    throw DissectionError(layer, at: error.offset, "quoted packet of the error message: \(error.reason)")
                }
                result.transport = v6 ? .icmpv6(header) : .icmp(header)
            }
        default:
            result.transport = .other(protocolNumber: protocolNumber, offset: o)
            result.payloadOffset = o
            result.payloadLength = end - o
        }
    }

    func tcpOptions(from start: Int, to end: Int) throws(DissectionError) -> TCPOptions {
        var options = TCPOptions()
        var i = start
        while i < end {
            let kind = frame.u8(i)
            if kind == 0 { break }
            if kind == 1 {
                i += 1
                continue
            }
            guard i + 1 < end else { throw DissectionError(.tcp, at: i, "option \(kind) has no length byte") }
            let length = Int(frame.u8(i + 1))
            guard length >= 2, i + length <= end else {
                throw DissectionError(.tcp, at: i, "option \(kind) has length \(length), \(end - i) bytes of options left")
            }
            func expect(_ size: Int, _ name: String) throws(DissectionError) {
                guard length == size else {
                    throw DissectionError(.tcp, at: i, "\(name) option has length \(length), expected \(size)")
                }
            }
            switch kind {
            case 2:
                try expect(4, "MSS")
                options.maximumSegmentSize = frame.u16(i + 2)
            case 3:
                try expect(3, "window scale")
                options.windowScale = frame.u8(i + 2)
            case 4:
                try expect(2, "SACK-permitted")
                options.sackPermitted = true
            case 5:
                guard (length - 2) % 8 == 0, length > 2 else {
                    throw DissectionError(.tcp, at: i, "SACK option has length \(length), not 2 + 8n")
                }
                var j = i + 2
                while j < i + length {
                    options.sackBlocks.append(SACKBlock(left: frame.u32(j), right: frame.u32(j + 4)))
                    j += 8
                }
            case 8:
                try expect(10, "timestamp")
                options.timestamp = (frame.u32(i + 2), frame.u32(i + 6))
            default:
                options.otherKinds.append(kind)
            }
            i += length
        }
        return options
    }

    /// The packet quoted in an ICMP error: an IP header and at least the first 8 bytes after it.
    func embedded(at o: Int, end: Int, v6: Bool) throws(DissectionError) -> EmbeddedPacket {
        let network: NetworkHeader
        let protocolNumber: UInt8
        let l4: Int
        if v6 {
            var header = try parseIPv6Fixed(at: o, end: end)
            try walkExtensions(&header, end: end, tolerateShort: true)
            network = .ipv6(header)
            protocolNumber = header.upperLayerProtocol
            l4 = header.upperLayerOffset
        } else {
            let header = try parseIPv4(at: o, end: end, quoted: true)
            network = .ipv4(header)
            protocolNumber = header.protocolNumber
            l4 = o + header.headerLength
        }
        var packet = EmbeddedPacket(network: network, protocolNumber: protocolNumber)
        switch protocolNumber {
        case 6, 17, 33, 132, 136:
            if end - l4 >= 4 {
                packet.sourcePort = frame.u16(l4)
                packet.destinationPort = frame.u16(l4 + 2)
            }
        case 1, 58:
            if end - l4 >= 8 {
                packet.icmpType = frame.u8(l4)
                packet.icmpCode = frame.u8(l4 + 1)
                packet.icmpIdentifier = frame.u16(l4 + 4)
            }
        default:
            break
        }
        return packet
    }
}

extension EmbeddedPacket {
    init(network: NetworkHeader, protocolNumber: UInt8) {
        self.init(
            network: network, protocolNumber: protocolNumber, sourcePort: nil, destinationPort: nil, icmpType: nil,
            icmpCode: nil, icmpIdentifier: nil)
    }
}
