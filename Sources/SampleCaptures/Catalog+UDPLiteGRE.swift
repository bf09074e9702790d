import Packets

extension SampleCatalog {
    /// A UDP-Lite datagram (RFC 3828) with checksum coverage `coverage` (0: the whole datagram),
    /// its checksum over the pseudo header with protocol `pseudoProtocol`. RFC 3828 says 136, but
    /// Linux 6.18 conntrack verifies with UDP's 17 (`udplite_error` passes `IPPROTO_UDP` to
    /// `nf_checksum_partial`) and finds RFC-conformant datagrams INVALID.
    public static func udpLite(
        from source: IPAddress, to destination: IPAddress, ports: (UInt16, UInt16), coverage: UInt16, payload: [UInt8],
        pseudoProtocol: UInt8 = 17, checksum fixed: UInt16? = nil
    ) -> IPPacketBuilder {
        var bytes: [UInt8] = []
        bytes.put16(ports.0)
        bytes.put16(ports.1)
        bytes.put16(coverage)
        bytes.put16(0)
        bytes += payload
        var sum = InternetChecksum()
        switch (source, destination) {
        case (.v4(let s), .v4(let d)):
            sum.addPseudoHeader(source: s, destination: d, protocolNumber: pseudoProtocol, length: bytes.count)
        case (.v6(let s), .v6(let d)):
            sum.addPseudoHeader(source: s, destination: d, protocolNumber: pseudoProtocol, length: bytes.count)
        default:
            break
        }
        let covered = coverage == 0 ? bytes.count : min(Int(coverage), bytes.count)
        sum.add(Array(bytes.prefix(covered)))
        var value = sum.value
        if value == 0 { value = 0xFFFF }
        if let fixed { value = fixed }
        bytes[6] = UInt8(value >> 8)
        bytes[7] = UInt8(value & 0xFF)
        return IPPacketBuilder(source: source, destination: destination, transport: .raw(protocolNumber: 136, bytes: bytes))
    }

    /// A GRE packet: version 0 (RFC 2784, optionally with the RFC 2890 key) or version 1
    /// (enhanced GRE of PPTP, RFC 2637: key present, payload length and call id).
    public static func gre(
        from source: IPAddress, to destination: IPAddress, version: UInt8, protocolType: UInt16, key: UInt32? = nil,
        callID: UInt16 = 0, payload: [UInt8]
    ) -> IPPacketBuilder {
        var bytes: [UInt8] = []
        if version == 1 {
            bytes.put16(0x2001)  // K bit, version 1
            bytes.put16(protocolType)
            bytes.put16(UInt16(payload.count))
            bytes.put16(callID)
        } else {
            bytes.put16(key == nil ? 0 : 0x2000)
            bytes.put16(protocolType)
            if let key { bytes.put32(key) }
        }
        bytes += payload
        return IPPacketBuilder(source: source, destination: destination, transport: .raw(protocolNumber: 47, bytes: bytes))
    }

    /// UDP-Lite and GRE: UDP-Lite exchanges with full and partial checksum coverage (checksums
    /// as the kernel verifies them), datagrams checksummed as RFC 3828 says (INVALID to the
    /// kernel), one without checksum and one with a coverage shorter than its header; GRE version 0 both ways (IPv4 in GRE) and with a key,
    /// PPTP's enhanced GRE (version 1) with a call id, a version 1 packet of another protocol,
    /// and IPv6 GRE one way.
    static func udpLiteGRE() -> SampleCapture {
        var r = SampleRecorder()
        let c4 = SampleAddresses.client4, s4 = SampleAddresses.server4
        let c6 = SampleAddresses.client6, s6 = SampleAddresses.server6

        r.add(udpLite(from: c4, to: s4, ports: (49_000, 5_000), coverage: 0, payload: filler(40)), fromClient: true)
        r.advance(milliseconds: 3)
        r.add(udpLite(from: s4, to: c4, ports: (5_000, 49_000), coverage: 0, payload: filler(24, seed: 1)), fromClient: false)
        r.advance(milliseconds: 5)
        r.add(udpLite(from: c4, to: s4, ports: (49_001, 5_001), coverage: 8, payload: filler(64)), fromClient: true)
        r.advance(milliseconds: 2)
        r.add(udpLite(from: s4, to: c4, ports: (5_001, 49_001), coverage: 12, payload: filler(30, seed: 4)), fromClient: false)
        r.advance(milliseconds: 5)
        r.add(udpLite(from: c4, to: s4, ports: (49_002, 5_002), coverage: 0, payload: filler(16), pseudoProtocol: 136), fromClient: true)
        r.advance(milliseconds: 2)
        r.add(udpLite(from: c4, to: s4, ports: (49_003, 5_003), coverage: 0, payload: filler(16), checksum: 0), fromClient: true)
        r.advance(milliseconds: 2)
        r.add(udpLite(from: c4, to: s4, ports: (49_004, 5_004), coverage: 4, payload: filler(16)), fromClient: true)
        r.advance(milliseconds: 2)
        r.add(udpLite(from: c6, to: s6, ports: (49_005, 5_005), coverage: 8, payload: filler(20)), fromClient: true)
        r.advance(milliseconds: 2)
        r.add(udpLite(from: c6, to: s6, ports: (49_006, 5_006), coverage: 0, payload: filler(20), pseudoProtocol: 136), fromClient: true)
        r.advance(milliseconds: 2)
        // 300 bytes: IPv4's check counts only the low byte of the pseudo-header length, so a
        // checksum over the true length is INVALID there; IPv6's check uses the true length.
        r.add(udpLite(from: c4, to: s4, ports: (49_007, 5_007), coverage: 0, payload: filler(292)), fromClient: true)
        r.advance(milliseconds: 2)
        r.add(udpLite(from: c6, to: s6, ports: (49_008, 5_008), coverage: 16, payload: filler(292)), fromClient: true)
        r.advance(milliseconds: 10)

        let inner = IPPacketBuilder(
            source: IPAddress("10.1.0.1")!, destination: IPAddress("10.2.0.1")!,
            transport: .udp(sourcePort: 1_000, destinationPort: 2_000, payload: filler(12))
        ).build()
        let innerBack = IPPacketBuilder(
            source: IPAddress("10.2.0.1")!, destination: IPAddress("10.1.0.1")!,
            transport: .udp(sourcePort: 2_000, destinationPort: 1_000, payload: filler(12))
        ).build()
        r.add(gre(from: c4, to: s4, version: 0, protocolType: 0x0800, payload: inner), fromClient: true)
        r.advance(milliseconds: 4)
        r.add(gre(from: s4, to: c4, version: 0, protocolType: 0x0800, payload: innerBack), fromClient: false)
        r.advance(milliseconds: 4)
        r.add(gre(from: c4, to: s4, version: 0, protocolType: 0x0800, payload: inner), fromClient: true)
        r.advance(milliseconds: 4)
        r.add(gre(from: c4, to: SampleAddresses.dns4, version: 0, protocolType: 0x6558, key: 0x0102_0304, payload: filler(60)), fromClient: true)
        r.advance(milliseconds: 4)
        // PPP in enhanced GRE, call id 0x1234 (LCP configure request as the payload).
        r.add(gre(from: c4, to: IPAddress("192.0.2.20")!, version: 1, protocolType: 0x880B, callID: 0x1234,
                  payload: [0xFF, 0x03, 0xC0, 0x21, 1, 1, 0, 4]), fromClient: true)
        r.advance(milliseconds: 4)
        r.add(gre(from: c4, to: IPAddress("192.0.2.21")!, version: 1, protocolType: 0x0800, callID: 0x4321, payload: inner),
              fromClient: true)
        r.advance(milliseconds: 4)
        r.add(gre(from: c6, to: s6, version: 0, protocolType: 0x86DD, payload: filler(48)), fromClient: true)
        return r.sample("udplite-gre.pcap", "UDP-Lite with checksum coverage rules, GRE version 0 and PPTP version 1")
    }
}
