import Packets

extension TrafficScenario {
    func recordUDP(into r: inout FlowRecording, plan: inout FlowPlanner, random: inout SeededRandom) -> GeneratedFlow {
        let v6 = plan.family(&random)
        let (client, server) = plan.endpoints(v6: v6, &random)
        let clientPort = plan.clientPort(&random)
        let serverPort = plan.serverPort(&random)
        let key = GeneratedFlowKey(
            protocolNumber: 17, source: client, destination: server,
            layer4: .ports(source: clientPort, destination: serverPort))
        func datagram(fromClient: Bool, _ size: Int) -> IPPacketBuilder {
            IPPacketBuilder(
                source: fromClient ? client : server, destination: fromClient ? server : client,
                transport: .udp(
                    sourcePort: fromClient ? clientPort : serverPort,
                    destinationPort: fromClient ? serverPort : clientPort,
                    payload: filler(size, seed: fromClient ? 11 : 12)))
        }
        func flow(_ expectation: FlowExpectation?) -> GeneratedFlow {
            GeneratedFlow(scenario: self, key: key, expectation: expectation)
        }
        let replied = FlowExpectation.present(tcpState: nil, replied: true, assured: false)
        let unreplied = FlowExpectation.present(tcpState: nil, replied: false, assured: false)

        switch self {
        case .udpExchange:
            for _ in 0..<random.int(in: 1...4) {
                r.emit(datagram(fromClient: true, random.int(in: 8...500)), fromClient: true)
                r.wait(1...20, &random)
                r.emit(datagram(fromClient: false, random.int(in: 8...1200)), fromClient: false)
                r.wait(1...50, &random)
            }
            if random.chance(30) { r.emit(datagram(fromClient: true, 32), fromClient: true) }
            return flow(replied)

        case .udpNoReply:
            for _ in 0..<random.int(in: 1...3) {
                r.emit(datagram(fromClient: true, random.int(in: 8...500)), fromClient: true)
                r.wait(5...100, &random)
            }
            return flow(unreplied)

        case .udpStream, .udpShortGap:
            r.emit(datagram(fromClient: true, 64), fromClient: true)
            r.wait(1...20, &random)
            r.emit(datagram(fromClient: false, 64), fromClient: false)
            // Stay clear of the 2 s boundary by a margin the replay's pacing cannot eat.
            r.wait(self == .udpStream ? 2_350...2_600 : 1_000...1_500, &random)
            r.emit(datagram(fromClient: true, 64), fromClient: true)
            if random.chance(50) {
                r.wait(1...20, &random)
                r.emit(datagram(fromClient: false, 64), fromClient: false)
            }
            return flow(.present(tcpState: nil, replied: true, assured: self == .udpStream))

        case .udpExpired:
            // With nf_conntrack_udp_timeout=2 the first entry expires in the gap; the late
            // datagram starts a new, unreplied one.
            r.emit(datagram(fromClient: true, 64), fromClient: true)
            r.wait(1...10, &random)
            r.emit(datagram(fromClient: false, 64), fromClient: false)
            r.wait(2_550...2_650, &random)
            r.emit(datagram(fromClient: true, 64), fromClient: true)
            return flow(unreplied)

        case .udpNoReplyExpired:
            r.emit(datagram(fromClient: true, 64), fromClient: true)
            return flow(.absent)

        case .fragmentedUDP:
            let size = random.int(in: 700...1350)
            var request = datagram(fromClient: true, size)
            request.dontFragment = false
            emitFragmented(r.build(request), v6: v6, fromClient: true, into: &r, plan: &plan, random: &random)
            r.wait(1...20, &random)
            switch random.int(in: 0...3) {
            case 0:
                return flow(unreplied)
            case 1:
                var reply = datagram(fromClient: false, random.int(in: 700...1350))
                reply.dontFragment = false
                emitFragmented(r.build(reply), v6: v6, fromClient: false, into: &r, plan: &plan, random: &random)
            default:
                r.emit(datagram(fromClient: false, random.int(in: 8...200)), fromClient: false)
            }
            return flow(replied)

        case .udpTraceroute:
            let passes = random.chance(50)
            for _ in 0..<random.int(in: 1...3) {
                var probe = datagram(fromClient: true, 32)
                probe.ttl = 1
                r.emit(probe, fromClient: true)
                r.wait(5...50, &random)
            }
            if passes { r.emit(datagram(fromClient: true, 32), fromClient: true) }
            return flow(passes ? unreplied : .absent)

        case .fragmentsIncomplete, .fragmentsDuplicate:
            var request = datagram(fromClient: true, random.int(in: 700...1350))
            request.dontFragment = false
            let packet = r.build(request)
            let size = random.int(in: 25...60) * 8
            var fragments =
                v6
                ? FrameBuilder.fragmentIPv6(packet, fragmentSize: size, identification: plan.fragmentIdentifier())
                : FrameBuilder.fragmentIPv4(packet, fragmentSize: size)
            let chosen = random.int(in: 0...fragments.count - 1)
            if self == .fragmentsIncomplete {
                fragments.remove(at: chosen)
            } else {
                fragments.insert(fragments[chosen], at: random.int(in: chosen + 1...fragments.count))
            }
            for fragment in random.chance(50) ? fragments : random.shuffled(fragments) {
                r.emit(packet: fragment, fromClient: true)
                r.advance(microseconds: random.int64(in: 10...300))
            }
            return flow(self == .fragmentsIncomplete ? .absent : unreplied)

        case .icmpErrorReverse:
            r.emit(datagram(fromClient: true, random.int(in: 8...200)), fromClient: true)
            r.wait(1...20, &random)
            let reply = r.build(datagram(fromClient: false, random.int(in: 8...200)))
            r.emit(packet: reply, fromClient: false)
            r.wait(0...5, &random)
            // The client's port is closed by now: port unreachable about the reply.
            var error = IPPacketBuilder(
                source: client, destination: server,
                transport: .icmp(type: v6 ? 1 : 3, code: v6 ? 4 : 3, rest: 0, payload: reply))
            error.dontFragment = false
            r.emit(error, fromClient: true)
            return flow(replied)

        default:
            preconditionFailure("\(self) is not a UDP scenario")
        }
    }

    func recordICMP(into r: inout FlowRecording, plan: inout FlowPlanner, random: inout SeededRandom) -> GeneratedFlow {
        let v6 = plan.family(&random)
        let (client, server) = plan.endpoints(v6: v6, &random)
        let id = plan.identifier(&random)
        let protocolNumber: UInt8 = v6 ? 58 : 1
        let echoKey = GeneratedFlowKey(
            protocolNumber: protocolNumber, source: client, destination: server,
            layer4: .icmp(type: v6 ? 128 : 8, id: id))
        func echo(request: Bool, sequence: UInt16, size: Int) -> IPPacketBuilder {
            let payload = filler(size, seed: 13)
            return IPPacketBuilder(
                source: request ? client : server, destination: request ? server : client,
                transport: request
                    ? .echoRequest(v6: v6, identifier: id, sequence: sequence, payload: payload)
                    : .echoReply(v6: v6, identifier: id, sequence: sequence, payload: payload))
        }
        func flow(_ key: GeneratedFlowKey, _ expectation: FlowExpectation?) -> GeneratedFlow {
            GeneratedFlow(scenario: self, key: key, expectation: expectation)
        }
        /// An ICMP error from `source` to the client quoting `quoted` (a client-to-server packet).
        func error(from source: IPAddress, quoting quoted: [UInt8]) -> IPPacketBuilder {
            // v4: destination unreachable (port or host) or time exceeded; v6: the same and
            // packet too big. Next-hop MTU / MTU where the type has one.
            let choices: [(UInt8, UInt8, UInt32)] =
                v6
                ? [(1, 4, 0), (1, 3, 0), (3, 0, 0), (2, 0, 1280)]
                : [(3, 3, 0), (3, 1, 0), (11, 0, 0), (3, 4, 576)]
            let (type, code, rest) = random.pick(choices)
            var builder = IPPacketBuilder(
                source: source, destination: client,
                transport: .icmp(type: type, code: code, rest: rest, payload: Array(quoted.prefix(v6 ? 1232 : 548))))
            builder.dontFragment = false
            return builder
        }
        let replied = FlowExpectation.present(tcpState: nil, replied: true, assured: false)
        let unreplied = FlowExpectation.present(tcpState: nil, replied: false, assured: false)

        switch self {
        case .icmpEcho:
            let count = random.int(in: 1...3)
            let size = random.int(in: 0...120)
            for sequence in 1...count {
                r.emit(echo(request: true, sequence: UInt16(sequence), size: size), fromClient: true)
                r.wait(1...20, &random)
                r.emit(echo(request: false, sequence: UInt16(sequence), size: size), fromClient: false)
                r.wait(5...100, &random)
            }
            if random.chance(30) {
                r.emit(echo(request: true, sequence: UInt16(count + 1), size: size), fromClient: true)
            }
            return flow(echoKey, replied)

        case .icmpEchoNoReply:
            for sequence in 1...random.int(in: 1...3) {
                r.emit(echo(request: true, sequence: UInt16(sequence), size: 56), fromClient: true)
                r.wait(20...150, &random)
            }
            return flow(echoKey, unreplied)

        case .icmpOtherQuery:
            // ICMP timestamp request/reply; ICMPv6 node information query/response.
            let (request, reply, payload): (UInt8, UInt8, [UInt8]) =
                v6 ? (139, 140, [0, 3, 0, 0] + filler(12, seed: 14)) : (13, 14, [UInt8](repeating: 0, count: 12))
            let rest = UInt32(id) << 16 | 1
            let key = GeneratedFlowKey(
                protocolNumber: protocolNumber, source: client, destination: server,
                layer4: .icmp(type: request, id: id))
            r.emit(
                IPPacketBuilder(
                    source: client, destination: server,
                    transport: .icmp(type: request, code: 0, rest: rest, payload: payload)), fromClient: true)
            let answered = random.chance(70)
            if answered {
                r.wait(1...20, &random)
                r.emit(
                    IPPacketBuilder(
                        source: server, destination: client,
                        transport: .icmp(type: reply, code: 0, rest: rest, payload: payload)), fromClient: false)
            }
            return flow(key, answered ? replied : unreplied)

        case .icmpErrorForUDP:
            let clientPort = plan.clientPort(&random)
            let serverPort = plan.serverPort(&random)
            let key = GeneratedFlowKey(
                protocolNumber: 17, source: client, destination: server,
                layer4: .ports(source: clientPort, destination: serverPort))
            let datagram = r.build(
                IPPacketBuilder(
                    source: client, destination: server,
                    transport: .udp(
                        sourcePort: clientPort, destinationPort: serverPort,
                        payload: filler(random.int(in: 8...300), seed: 15))))
            r.emit(packet: datagram, fromClient: true)
            r.wait(1...20, &random)
            r.emit(
                error(
                    from: random.chance(50) ? server : (v6 ? TrafficGenerator.hop6 : TrafficGenerator.hop4),
                    quoting: datagram), fromClient: false)
            // The error is RELATED: no entry of its own, and not a reply.
            return flow(key, unreplied)

        case .icmpErrorForTCP:
            let clientPort = plan.clientPort(&random)
            let serverPort = plan.serverPort(&random)
            var w = TCPFlowWriter(
                client: client, server: server, clientPort: clientPort, serverPort: serverPort, random: &random)
            let key = GeneratedFlowKey(
                protocolNumber: 6, source: client, destination: server,
                layer4: .ports(source: clientPort, destination: serverPort))
            if random.chance(50) {
                let syn = r.build(w.segment(fromClient: true, flags: .syn))
                r.emit(packet: syn, fromClient: true)
                r.wait(1...20, &random)
                r.emit(error(from: v6 ? TrafficGenerator.hop6 : TrafficGenerator.hop4, quoting: syn), fromClient: false)
                return flow(key, .present(tcpState: "SYN_SENT", replied: false, assured: false))
            }
            w.handshake(into: &r, &random)
            r.wait(0...5, &random)
            let data = r.build(
                w.segment(fromClient: true, flags: [.psh, .ack], payload: filler(random.int(in: 100...1000), seed: 16)))
            r.emit(packet: data, fromClient: true)
            r.wait(1...20, &random)
            r.emit(error(from: v6 ? TrafficGenerator.hop6 : TrafficGenerator.hop4, quoting: data), fromClient: false)
            return flow(key, .present(tcpState: "ESTABLISHED", replied: true, assured: true))

        case .icmpErrorUntracked:
            // An error quoting a datagram the router never saw: invalid, no entry anywhere.
            let clientPort = plan.clientPort(&random)
            let serverPort = plan.serverPort(&random)
            let key = GeneratedFlowKey(
                protocolNumber: 17, source: client, destination: server,
                layer4: .ports(source: clientPort, destination: serverPort))
            let datagram = r.build(
                IPPacketBuilder(
                    source: client, destination: server,
                    transport: .udp(sourcePort: clientPort, destinationPort: serverPort, payload: filler(40, seed: 17)))
            )
            r.emit(error(from: server, quoting: datagram), fromClient: false)
            return flow(key, .absent)

        case .fragmentedICMP:
            let size = random.int(in: 800...1350)
            var request = echo(request: true, sequence: 1, size: size)
            request.dontFragment = false
            emitFragmented(r.build(request), v6: v6, fromClient: true, into: &r, plan: &plan, random: &random)
            r.wait(1...20, &random)
            var reply = echo(request: false, sequence: 1, size: size)
            reply.dontFragment = false
            emitFragmented(r.build(reply), v6: v6, fromClient: false, into: &r, plan: &plan, random: &random)
            return flow(echoKey, replied)

        case .icmpExpired:
            r.emit(echo(request: true, sequence: 1, size: 56), fromClient: true)
            r.wait(1...10, &random)
            r.emit(echo(request: false, sequence: 1, size: 56), fromClient: false)
            r.wait(2_550...2_650, &random)
            r.emit(echo(request: true, sequence: 2, size: 56), fromClient: true)
            return flow(echoKey, unreplied)

        default:
            preconditionFailure("\(self) is not an ICMP scenario")
        }
    }

    /// Splits `packet` into fragments of 200 to 600 bytes and records them in order, reversed or
    /// shuffled.
    func emitFragmented(
        _ packet: [UInt8], v6: Bool, fromClient: Bool, into r: inout FlowRecording, plan: inout FlowPlanner,
        random: inout SeededRandom
    ) {
        let size = random.int(in: 25...75) * 8
        let fragments =
            v6
            ? FrameBuilder.fragmentIPv6(packet, fragmentSize: size, identification: plan.fragmentIdentifier())
            : FrameBuilder.fragmentIPv4(packet, fragmentSize: size)
        let ordered: [[UInt8]]
        switch random.int(in: 0...2) {
        case 0: ordered = fragments
        case 1: ordered = fragments.reversed()
        default: ordered = random.shuffled(fragments)
        }
        for fragment in ordered {
            r.emit(packet: fragment, fromClient: fromClient)
            r.advance(microseconds: random.int64(in: 10...300))
        }
    }
}
