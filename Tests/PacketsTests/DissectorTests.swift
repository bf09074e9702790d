import CtsimTesting
import Packets
import SampleCaptures
import Testing

@Suite struct DissectorTests {
    let client = IPAddress("198.51.100.1")!
    let server = IPAddress("192.0.2.10")!
    let client6 = IPAddress("2001:db8::1")!
    let server6 = IPAddress("2001:db8:1::10")!
    let mac1 = MACAddress("02:00:00:00:00:01")!
    let mac2 = MACAddress("02:00:00:00:00:02")!

    func ethernet(_ packet: [UInt8], tags: [VLANTag] = []) -> [UInt8] {
        FrameBuilder.ethernet(packet, source: mac1, destination: mac2, vlanTags: tags)
    }

    func dissect(_ frame: [UInt8], _ linkType: LinkType = .ethernet, originalLength: Int? = nil) -> Dissection {
        Dissector(linkType: linkType).dissect(frame, originalLength: originalLength)
    }

    @Test(arguments: SampleCatalog.all.map(\.name))
    func everySamplePacketDissectsCleanly(_ name: String) throws {
        let capture = try Capture(contentsOf: packageRoot + "/Pcaps/" + name)
        let dissector = Dissector(linkType: capture.linkType)
        for packet in capture.packets {
            let d = dissector.dissect(packet)
            #expect(d.error == nil, "packet \(packet.number): \(d.error!)")
            #expect(d.checksumErrors.isEmpty, "packet \(packet.number)")
            #expect(d.addresses != nil)
        }
    }

    @Test func tcpHandshakeFieldsAndOptions() throws {
        let capture = try Capture(contentsOf: packageRoot + "/Pcaps/tcp-handshake-close.pcap")
        let d = Dissector(linkType: .ethernet).dissect(capture.packets[0])
        let ip = try #require(d.ipv4)
        #expect(ip.source.description == "198.51.100.1")
        #expect(ip.destination.description == "192.0.2.10")
        #expect(ip.checksumValid && ip.dontFragment && !ip.isFragment && ip.ttl == 64)
        let tcp = try #require(d.tcp)
        #expect(tcp.sourcePort == 40_000 && tcp.destinationPort == 80)
        #expect(tcp.flags == .syn && tcp.sequence == 0x1000_0000)
        #expect(tcp.options.maximumSegmentSize == 1460)
        #expect(tcp.options.windowScale == 7)
        #expect(tcp.options.sackPermitted)
        #expect(tcp.options.timestamp?.value == 1_000_007 && tcp.options.timestamp?.echoReply == 0)
        #expect(tcp.headerLength == 40 && tcp.checksumValid == true)
        let synAck = try #require(Dissector(linkType: .ethernet).dissect(capture.packets[1]).tcp)
        #expect(synAck.flags == [.syn, .ack] && synAck.acknowledgement == 0x1000_0001)
        let data = Dissector(linkType: .ethernet).dissect(capture.packets[3])
        #expect(data.payloadLength == 33)
        #expect(data.tcp?.flags == [.psh, .ack])
    }

    @Test func sackBlocksAndUnknownOptions() throws {
        var options = TCPOptions()
        options.sackBlocks = [SACKBlock(left: 100, right: 200), SACKBlock(left: 300, right: 400)]
        options.timestamp = (5, 6)
        var segment = TCPSegment(sourcePort: 1, destinationPort: 2, flags: .ack, options: options)
        segment.payload = [1, 2, 3]
        let packet = IPPacketBuilder(source: client, destination: server, transport: .tcp(segment)).build()
        let tcp = try #require(dissect(ethernet(packet)).tcp)
        #expect(tcp.options.sackBlocks == options.sackBlocks)
        #expect(tcp.options.timestamp?.value == 5)
        #expect(tcp.payloadLength == 3)
    }

    @Test func vlanAndQinQTags() throws {
        let capture = try Capture(contentsOf: packageRoot + "/Pcaps/vlan.pcap")
        let single = try #require(Dissector(linkType: .ethernet).dissect(capture.packets[0]).link)
        #expect(single.vlanTags == [VLANTag(tpid: 0x8100, priority: 3, dropEligible: false, id: 100)])
        #expect(single.networkOffset == 18)
        let double = try #require(Dissector(linkType: .ethernet).dissect(capture.packets[2]).link)
        #expect(double.vlanTags.map(\.id) == [200, 300])
        #expect(double.vlanTags.map(\.tpid) == [0x88A8, 0x8100])
        #expect(double.vlanTags[1].dropEligible && double.vlanTags[1].priority == 5)
        #expect(double.networkOffset == 22)
    }

    @Test func ipv6ExtensionHeadersAndFragments() throws {
        let capture = try Capture(contentsOf: packageRoot + "/Pcaps/ipv6.pcap")
        let d = Dissector(linkType: .ethernet).dissect(capture.packets[8])
        let ip = try #require(d.ipv6)
        #expect(ip.nextHeader == 60 && ip.upperLayerProtocol == 17)
        #expect(ip.extensionHeaders.map(\.protocolNumber) == [60])
        #expect(d.udp?.destinationPort == 4000 && d.udp?.checksumValid == true)

        let frags = try Capture(contentsOf: packageRoot + "/Pcaps/fragments.pcap")
        let dissector = Dissector(linkType: .ethernet)
        let first = dissector.dissect(frags.packets[0])
        #expect(first.fragment == FragmentInfo(identification: 0x4242, offset: 0, moreFragments: true, protocolNumber: 17))
        #expect(first.udp?.sourcePort == 43_000 && first.udp?.checksumValid == nil)
        let second = dissector.dissect(frags.packets[1])
        #expect(second.fragment?.offset == 1480 && second.fragment?.moreFragments == true && second.transport == nil)
        let third = dissector.dissect(frags.packets[2])
        #expect(third.fragment?.moreFragments == false && third.fragment!.offset == 2960)
        let v6first = dissector.dissect(frags.packets[4])
        #expect(v6first.fragment == FragmentInfo(identification: 0xF00D, offset: 0, moreFragments: true, protocolNumber: 17))
        #expect(v6first.ipv6?.extensionHeaders.map(\.protocolNumber) == [44])
        let v6last = dissector.dissect(frags.packets[5])
        #expect(v6last.fragment?.offset == 1232 && v6last.fragment?.moreFragments == false && v6last.transport == nil)
    }

    @Test func icmpErrorsCarryTheQuotedFlow() throws {
        let capture = try Capture(contentsOf: packageRoot + "/Pcaps/icmp-echo.pcap")
        let dissector = Dissector(linkType: .ethernet)
        let echo = try #require(dissector.dissect(capture.packets[0]).icmp)
        #expect(echo.type == 8 && echo.identifier == 0x0BEE && echo.sequence == 1 && echo.embedded == nil)
        let error = try #require(dissector.dissect(capture.packets[5]).icmp)
        #expect(error.type == 3 && error.code == 3 && error.checksumValid == true)
        let quoted = try #require(error.embedded)
        #expect(quoted.protocolNumber == 17 && quoted.sourcePort == 33_434 && quoted.destinationPort == 33_435)
        if case .ipv4(let inner) = quoted.network {
            #expect(inner.source.description == "198.51.100.1")
        } else {
            Issue.record("quoted header is not IPv4")
        }
        // ICMPv6 error quoting an ICMPv6 echo.
        let echo6 = IPPacketBuilder(source: client6, destination: server6,
                                    transport: .echoRequest(v6: true, identifier: 9, sequence: 1)).build()
        let error6 = IPPacketBuilder(source: server6, destination: client6,
                                     transport: .icmp(type: 1, code: 4, rest: 0, payload: echo6)).build()
        let d6 = dissect(ethernet(error6))
        #expect(d6.error == nil)
        #expect(d6.icmp?.embedded?.icmpType == 128 && d6.icmp?.embedded?.icmpIdentifier == 9)
    }

    @Test func everyLinkTypeReachesTheSameIPPacket() throws {
        let packet = IPPacketBuilder(source: client6, destination: server6,
                                     transport: .udp(sourcePort: 7, destinationPort: 8, payload: [1, 2])).build()
        let frames: [(LinkType, [UInt8])] = [
            (.ethernet, ethernet(packet)), (.linuxSLL, FrameBuilder.linuxSLL(packet, source: mac1)),
            (.linuxSLL2, FrameBuilder.linuxSLL2(packet, source: mac1)), (.null, FrameBuilder.loopback(packet)),
            (.loop, FrameBuilder.loopback(packet, networkOrder: true)), (.raw, packet), (.ipv6, packet),
        ]
        for (linkType, frame) in frames {
            let d = dissect(frame, linkType)
            #expect(d.error == nil, "\(linkType)")
            #expect(d.udp?.checksumValid == true, "\(linkType)")
            #expect(d.ipv6?.offset == frame.count - packet.count, "\(linkType)")
        }
    }

    @Test func checksumErrorsAreReportedPerLayer() {
        var builder = IPPacketBuilder(source: client, destination: server,
                                      transport: .udp(sourcePort: 1, destinationPort: 2, payload: [9, 9, 9]))
        builder.validChecksum = false
        #expect(dissect(ethernet(builder.build())).checksumErrors == [.udp])
        var packet = IPPacketBuilder(source: client, destination: server,
                                     transport: .echoRequest(v6: false, identifier: 1, sequence: 1)).build()
        packet[8] = 1  // TTL changed without fixing the header checksum
        let d = dissect(ethernet(packet))
        #expect(d.checksumErrors == [.ipv4])
        #expect(d.ipv4?.checksumValid == false)
        var v6 = IPPacketBuilder(source: client6, destination: server6,
                                 transport: .udp(sourcePort: 1, destinationPort: 2, payload: [])).build()
        v6[46] = 0  // zero UDP checksum: not allowed over IPv6
        v6[47] = 0
        #expect(dissect(ethernet(v6)).checksumErrors == [.udp])
    }

    struct MalformedCase: Sendable, CustomTestStringConvertible {
        var name: String
        var frame: [UInt8]
        var layer: Layer
        var offset: Int
        var reason: String
        var testDescription: String { name }
    }

    static let malformedCases: [MalformedCase] = {
        let mac = MACAddress("02:00:00:00:00:01")!
        func eth(_ p: [UInt8]) -> [UInt8] { FrameBuilder.ethernet(p, source: mac, destination: mac) }
        let tcp = IPPacketBuilder(
            source: IPAddress("198.51.100.1")!, destination: IPAddress("192.0.2.10")!,
            transport: .tcp(TCPSegment(sourcePort: 1, destinationPort: 2, flags: .syn))
        ).build()
        let udp = IPPacketBuilder(
            source: IPAddress("198.51.100.1")!, destination: IPAddress("192.0.2.10")!,
            transport: .udp(sourcePort: 1, destinationPort: 2, payload: [1, 2, 3, 4])
        ).build()
        let udp6 = IPPacketBuilder(
            source: IPAddress("2001:db8::1")!, destination: IPAddress("2001:db8:1::1")!,
            transport: .udp(sourcePort: 1, destinationPort: 2, payload: [1, 2, 3, 4])
        ).build()
        var cases: [MalformedCase] = []
        cases.append(MalformedCase(name: "short ethernet", frame: [1, 2, 3], layer: .link, offset: 0,
                                   reason: "Ethernet header needs 14 bytes, frame has 3"))
        var ihl = tcp
        ihl[0] = 0x44
        cases.append(MalformedCase(name: "IHL 4", frame: eth(ihl), layer: .ipv4, offset: 14,
                                   reason: "header length 16 is below the minimum of 20"))
        var version = tcp
        version[0] = 0x55
        cases.append(MalformedCase(name: "version 5", frame: eth(version), layer: .ipv4, offset: 14,
                                   reason: "version is 5, not 4"))
        var total = tcp
        total[3] = 200
        cases.append(MalformedCase(name: "total length", frame: eth(total), layer: .ipv4, offset: 16,
                                   reason: "total length 200 exceeds the 40 bytes present"))
        var option = tcp
        option[0] = 0x46
        option.insert(contentsOf: [7, 9, 0, 0], at: 20)  // record route claiming 9 bytes in a 4-byte area
        option[3] = 44
        IPPacketBuilder.setIPv4Checksum(&option)
        cases.append(MalformedCase(name: "IPv4 option length", frame: eth(option), layer: .ipv4, offset: 34,
                                   reason: "option 7 has length 9, 4 bytes of options left"))
        var offset = tcp
        offset[32] = 0x40
        cases.append(MalformedCase(name: "TCP data offset", frame: eth(offset), layer: .tcp, offset: 46,
                                   reason: "data offset 4 words is below the minimum of 5"))
        var udpLength = udp
        udpLength[25] = 4
        cases.append(MalformedCase(name: "UDP length", frame: eth(udpLength), layer: .udp, offset: 38,
                                   reason: "length 4 is below the header's 8"))
        var payload6 = udp6
        payload6[5] = 100
        cases.append(MalformedCase(name: "IPv6 payload length", frame: eth(payload6), layer: .ipv6, offset: 18,
                                   reason: "payload length 100 exceeds the 12 bytes present"))
        cases.append(MalformedCase(name: "cut TCP", frame: eth(Array(tcp.prefix(30))), layer: .ipv4, offset: 16,
                                   reason: "total length 40 exceeds the 30 bytes present"))
        var vlan = eth(udp)
        vlan[12] = 0x81
        vlan[13] = 0x00
        cases.append(MalformedCase(name: "VLAN tag cut", frame: Array(vlan.prefix(16)), layer: .vlan, offset: 12,
                                   reason: "VLAN tag needs 4 bytes, 4 left"))
        return cases
    }()

    @Test(arguments: malformedCases)
    func malformedLayersAreReportedPrecisely(_ c: MalformedCase) throws {
        let d = dissect(c.frame)
        let error = try #require(d.error)
        #expect(error.layer == c.layer)
        #expect(error.offset == c.offset)
        #expect(error.reason == c.reason)
    }

    @Test func aFrameCutBySnapLengthIsNotMalformedAtItsTransportHeader() throws {
        let capture = try Capture(contentsOf: packageRoot + "/Pcaps/snaplen-96.pcap")
        let d = Dissector(linkType: .ethernet).dissect(capture.packets[3])
        #expect(d.capturedShort)
        #expect(d.error == nil)
        #expect(d.tcp?.checksumValid == nil)
        // A cut inside the TCP header is reported as a snapshot-length cut.
        let cut = Dissector(linkType: .ethernet).dissect(Array(capture.packets[3].data.prefix(40)), originalLength: 1000)
        #expect(cut.error?.layer == .tcp)
        #expect(cut.error?.reason.contains("snapshot length") == true)
    }

    /// Hostile input: truncations and bit flips of every sample frame, and random bytes under
    /// every link type. The dissector must return (not trap) for all of them.
    @Test func hostileFramesNeverTrap() throws {
        var rng = SplitMix64(seed: 2026)
        var dissected = 0
        for path in samplePaths {
            let capture = try Capture(contentsOf: path)
            let dissector = Dissector(linkType: capture.linkType)
            for packet in capture.packets {
                for cut in 0...packet.data.count {
                    _ = dissector.dissect(Array(packet.data.prefix(cut)))
                    dissected += 1
                }
                for _ in 0..<64 {
                    var frame = packet.data
                    for _ in 0..<(1 + Int(rng.next() % 4)) {
                        let i = Int(rng.next() % UInt64(frame.count))
                        frame[i] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                    }
                    _ = dissector.dissect(frame)
                    dissected += 1
                }
            }
        }
        for linkType in LinkType.supported {
            let dissector = Dissector(linkType: linkType)
            for _ in 0..<2000 {
                let frame = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                _ = dissector.dissect(frame)
                dissected += 1
            }
        }
        #expect(dissected > 20_000)
    }

    @Test func flowKeysAreBidirectional() throws {
        let capture = try Capture(contentsOf: packageRoot + "/Pcaps/tcp-handshake-close.pcap")
        let dissector = Dissector(linkType: .ethernet)
        let keys = Set(capture.packets.compactMap { FlowKey(dissector.dissect($0)) })
        #expect(keys.count == 1)
    }
}
