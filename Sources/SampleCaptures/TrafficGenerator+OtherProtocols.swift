import Packets

extension TrafficScenario {
    /// SCTP associations, UDP-Lite and GRE flows (the `.otherProtocols` mix). Every flow ends in
    /// a state whose timeout is 10 s or more, so no entry is near expiry when the table is read.
    func recordOtherProtocol(into r: inout FlowRecording, plan: inout FlowPlanner, random: inout SeededRandom)
        -> GeneratedFlow
    {
        let v6 = plan.family(&random)
        let (client, server) = plan.endpoints(v6: v6, &random)
        let clientPort = plan.clientPort(&random)
        let serverPort: UInt16 = random.pick([36_412, 2_905, 3_868, 9_899])
        switch self {
        case .sctpAssociation, .sctpAbort, .sctpInitOnly:
            let key = GeneratedFlowKey(
                protocolNumber: 132, source: client, destination: server,
                layer4: .ports(source: clientPort, destination: serverPort))
            let clientTag = random.uint32() | 1
            let serverTag = random.uint32() | 1
            var clientTSN = random.uint32()
            var serverTSN = random.uint32()
            func send(fromClient: Bool, tag: UInt32? = nil, _ chunks: [SCTPChunk]) {
                let packet = SCTPPacket(
                    sourcePort: fromClient ? clientPort : serverPort,
                    destinationPort: fromClient ? serverPort : clientPort,
                    tag: tag ?? (fromClient ? serverTag : clientTag), chunks: chunks)
                r.emit(packet.ip(from: fromClient ? client : server, to: fromClient ? server : client), fromClient: fromClient)
            }
            send(fromClient: true, tag: 0, [.initiation(ack: false, tag: clientTag, tsn: clientTSN)])
            if self == .sctpInitOnly {
                // Retransmitted INITs (CLOSED, no refresh), maybe a stray DATA with a wrong tag.
                for _ in 0..<random.int(in: 0...2) {
                    r.wait(5...40, &random)
                    send(fromClient: true, tag: 0, [.initiation(ack: false, tag: clientTag, tsn: clientTSN)])
                }
                if random.chance(50) {
                    r.wait(1...10, &random)
                    send(fromClient: true, tag: random.uint32(), [.data(tsn: clientTSN, payload: filler(16))])
                }
                return GeneratedFlow(scenario: self, key: key, expectation: nil)
            }
            r.wait(1...20, &random)
            send(fromClient: false, [.initiation(ack: true, tag: serverTag, tsn: serverTSN)])
            r.wait(1...10, &random)
            send(fromClient: true, [.cookieEcho(filler(random.int(in: 8...64), seed: 21))])
            r.wait(1...10, &random)
            send(fromClient: false, [.cookieAck])
            for _ in 0..<random.int(in: 0...4) {
                r.wait(1...30, &random)
                let fromClient = random.chance(60)
                switch random.int(in: 0...4) {
                case 0:
                    send(fromClient: fromClient, [.heartbeat(ack: false, info: random.uint32())])
                    r.wait(1...10, &random)
                    send(fromClient: !fromClient, [.heartbeat(ack: true, info: 0)])
                case 1:
                    // A wrong verification tag: INVALID.
                    send(fromClient: fromClient, tag: random.uint32(), [.data(tsn: 1, payload: filler(20))])
                default:
                    let tsn = fromClient ? clientTSN : serverTSN
                    send(fromClient: fromClient, [.data(tsn: tsn, payload: filler(random.int(in: 1...400), seed: 22))])
                    if fromClient { clientTSN &+= 1 } else { serverTSN &+= 1 }
                    r.wait(1...10, &random)
                    send(fromClient: !fromClient, [.sack(cumulative: tsn)])
                }
            }
            if self == .sctpAbort {
                r.wait(1...20, &random)
                let fromClient = random.chance(50)
                // Without the T bit the peer's tag; with it the sender's own.
                let reflected = random.chance(30)
                let ownTag = fromClient ? clientTag : serverTag
                send(fromClient: fromClient, tag: reflected ? ownTag : nil, [.abort(reflected: reflected)])
            } else if random.chance(70) {
                r.wait(1...20, &random)
                let fromClient = random.chance(60)
                send(fromClient: fromClient, [.shutdown(cumulative: fromClient ? serverTSN : clientTSN)])
                r.wait(1...10, &random)
                send(fromClient: !fromClient, [.shutdownAck])
                r.wait(1...10, &random)
                send(fromClient: fromClient, [.shutdownComplete()])
            }
            return GeneratedFlow(scenario: self, key: key, expectation: nil)

        case .udpLiteExchange:
            let key = GeneratedFlowKey(
                protocolNumber: 136, source: client, destination: server,
                layer4: .ports(source: clientPort, destination: serverPort))
            for index in 0..<random.int(in: 1...4) {
                // The first datagram is the client's and valid, so the entry is the flow's.
                let first = index == 0
                let fromClient = first || random.chance(60)
                // Over 247 bytes of payload, IPv4's check wants the length's low byte only: INVALID.
                let size = random.chance(85) ? random.int(in: 0...200) : random.int(in: 248...400)
                let coverage: UInt16 = first ? random.pick([0, 8]) : random.pick([0, 8, UInt16(8 + min(size, 20)), 4])
                let rfc = !first && random.chance(15)  // RFC 3828's pseudo header: INVALID to the kernel
                r.emit(
                    SampleCatalog.udpLite(
                        from: fromClient ? client : server, to: fromClient ? server : client,
                        ports: fromClient ? (clientPort, serverPort) : (serverPort, clientPort), coverage: coverage,
                        payload: filler(size, seed: 23), pseudoProtocol: rfc ? 136 : 17),
                    fromClient: fromClient)
                r.wait(1...40, &random)
            }
            return GeneratedFlow(scenario: self, key: key, expectation: nil)

        case .greTunnel:
            let version: UInt8 = random.chance(40) ? 1 : 0
            let callID = random.uint16(in: 1...65_535)
            let key = GeneratedFlowKey(
                protocolNumber: 47, source: client, destination: server,
                layer4: .ports(source: 0, destination: version == 1 ? callID : 0))
            for index in 0..<random.int(in: 1...4) {
                // Version 1 keys differ by direction (no PPTP keymap): only the client sends, and
                // its first packet is PPP so that the entry is the flow's.
                let fromClient = version == 1 || index == 0 || random.chance(60)
                let protocolType: UInt16 =
                    version == 1
                    ? (index == 0 || random.chance(85) ? 0x880B : 0x0800) : random.pick([0x0800, 0x86DD, 0x6558])
                r.emit(
                    SampleCatalog.gre(
                        from: fromClient ? client : server, to: fromClient ? server : client, version: version,
                        protocolType: protocolType, key: random.chance(30) ? random.uint32() : nil, callID: callID,
                        payload: filler(random.int(in: 8...200), seed: 24)),
                    fromClient: fromClient)
                r.wait(1...40, &random)
            }
            return GeneratedFlow(scenario: self, key: key, expectation: nil)

        default:
            preconditionFailure("not an SCTP, UDP-Lite or GRE scenario")
        }
    }
}
