import Packets

/// Writes the segments of one TCP connection, keeping both sides' sequence numbers, the options
/// negotiated in the handshake (timestamps, SACK, window scale) and the windows they imply.
struct TCPFlowWriter {
    var client: IPAddress
    var server: IPAddress
    var clientPort: UInt16
    var serverPort: UInt16
    var clientNext: UInt32
    var serverNext: UInt32
    var timestamps: Bool
    var sackPermitted: Bool
    var clientScale: UInt8?
    var serverScale: UInt8?
    var tsClock: UInt32
    var lastClientTS: UInt32 = 0
    var lastServerTS: UInt32 = 0
    /// Clears DF on every segment (for flows whose segments get fragmented).
    var allowFragmentation = false

    init(client: IPAddress, server: IPAddress, clientPort: UInt16, serverPort: UInt16, random: inout SeededRandom) {
        self.client = client
        self.server = server
        self.clientPort = clientPort
        self.serverPort = serverPort
        clientNext = random.uint32()
        serverNext = random.uint32()
        timestamps = random.chance(70)
        sackPermitted = random.chance(70)
        clientScale = random.chance(75) ? UInt8(random.int(in: 0...9)) : nil
        serverScale = random.chance(75) ? UInt8(random.int(in: 0...9)) : nil
        tsClock = random.uint32()
    }

    var windowScaling: Bool { clientScale != nil && serverScale != nil }

    /// The window field a side sends outside SYNs: about 64 KiB, scaled by its own factor.
    func window(fromClient: Bool) -> UInt16 {
        guard windowScaling, let scale = fromClient ? clientScale : serverScale else { return 64_240 }
        return UInt16(max(1, 64_240 >> Int(scale)))
    }

    func synOptions(fromClient: Bool) -> TCPOptions {
        var options = TCPOptions()
        options.maximumSegmentSize = client.isIPv6 ? 1440 : 1460
        options.sackPermitted = sackPermitted
        options.windowScale = fromClient ? clientScale : serverScale
        return options
    }

    /// One segment. Sequence and acknowledgement default to the sender's next sequence number and
    /// everything the peer sent; `advance` false leaves the sender's sequence number where it was
    /// (retransmissions, RSTs with chosen numbers).
    mutating func segment(
        fromClient: Bool, flags: TCPFlags, payload: [UInt8] = [], sequence: UInt32? = nil,
        acknowledgement: UInt32? = nil, sackBlocks: [SACKBlock] = [], advance: Bool = true
    ) -> IPPacketBuilder {
        var options = flags.contains(.syn) ? synOptions(fromClient: fromClient) : TCPOptions()
        if timestamps && !flags.contains(.rst) {
            tsClock &+= 3
            options.timestamp = (tsClock, fromClient ? lastServerTS : lastClientTS)
            if fromClient { lastClientTS = tsClock } else { lastServerTS = tsClock }
        }
        if sackPermitted { options.sackBlocks = sackBlocks }
        let seq = sequence ?? (fromClient ? clientNext : serverNext)
        let ack = flags.contains(.ack) ? (acknowledgement ?? (fromClient ? serverNext : clientNext)) : 0
        let window: UInt16 =
            flags.contains(.rst) ? 0 : flags.contains(.syn) ? 64_240 : self.window(fromClient: fromClient)
        let segment = TCPSegment(
            sourcePort: fromClient ? clientPort : serverPort, destinationPort: fromClient ? serverPort : clientPort,
            sequence: seq, acknowledgement: ack, flags: flags, window: window, options: options, payload: payload)
        if advance && sequence == nil {
            let length = UInt32(payload.count) + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
            if fromClient { clientNext &+= length } else { serverNext &+= length }
        }
        var builder = IPPacketBuilder(
            source: fromClient ? client : server, destination: fromClient ? server : client, transport: .tcp(segment))
        builder.dontFragment = !allowFragmentation
        return builder
    }

    /// SYN, SYN-ACK, ACK with `rtt` milliseconds between SYN and SYN-ACK.
    mutating func handshake(into r: inout FlowRecording, _ random: inout SeededRandom) {
        r.emit(segment(fromClient: true, flags: .syn), fromClient: true)
        r.wait(1...30, &random)
        r.emit(segment(fromClient: false, flags: [.syn, .ack]), fromClient: false)
        r.wait(0...2, &random)
        r.emit(segment(fromClient: true, flags: .ack), fromClient: true)
    }

    /// A request from the client and a response of one to three segments, all acknowledged.
    mutating func exchange(into r: inout FlowRecording, _ random: inout SeededRandom) {
        r.wait(0...5, &random)
        r.emit(
            segment(fromClient: true, flags: [.psh, .ack], payload: filler(random.int(in: 20...400), seed: 1)),
            fromClient: true)
        r.wait(1...20, &random)
        for _ in 0..<random.int(in: 1...3) {
            r.emit(
                segment(fromClient: false, flags: [.psh, .ack], payload: filler(random.int(in: 100...1200), seed: 2)),
                fromClient: false)
            r.advance(microseconds: random.int64(in: 50...400))
        }
        r.wait(0...3, &random)
        r.emit(segment(fromClient: true, flags: .ack), fromClient: true)
    }

    /// An orderly close started by either side: FIN, FIN (with or without a separate ACK), ACK.
    mutating func close(into r: inout FlowRecording, _ random: inout SeededRandom) {
        let first = random.chance(50)
        r.wait(0...20, &random)
        r.emit(segment(fromClient: first, flags: [.fin, .ack]), fromClient: first)
        r.wait(1...20, &random)
        if random.chance(50) {
            r.emit(segment(fromClient: !first, flags: .ack), fromClient: !first)
            r.wait(0...10, &random)
        }
        r.emit(segment(fromClient: !first, flags: [.fin, .ack]), fromClient: !first)
        r.wait(1...20, &random)
        r.emit(segment(fromClient: first, flags: .ack), fromClient: first)
    }
}

extension TrafficScenario {
    func recordTCP(into r: inout FlowRecording, plan: inout FlowPlanner, random: inout SeededRandom) -> GeneratedFlow {
        let v6 = plan.family(&random)
        let (client, server) = plan.endpoints(v6: v6, &random)
        let clientPort = plan.clientPort(&random)
        let serverPort = plan.serverPort(&random)
        var w = TCPFlowWriter(
            client: client, server: server, clientPort: clientPort, serverPort: serverPort, random: &random)
        let key = GeneratedFlowKey(
            protocolNumber: 6, source: client, destination: server,
            layer4: .ports(source: clientPort, destination: serverPort))
        func flow(_ expectation: FlowExpectation?) -> GeneratedFlow {
            GeneratedFlow(scenario: self, key: key, expectation: expectation)
        }
        let established = FlowExpectation.present(tcpState: "ESTABLISHED", replied: true, assured: true)
        let timeWait = FlowExpectation.present(tcpState: "TIME_WAIT", replied: true, assured: true)

        switch self {
        case .tcpClose:
            w.handshake(into: &r, &random)
            for _ in 0..<random.int(in: 0...3) { w.exchange(into: &r, &random) }
            w.close(into: &r, &random)
            return flow(timeWait)

        case .tcpEstablished:
            w.handshake(into: &r, &random)
            for _ in 0..<random.int(in: 1...4) { w.exchange(into: &r, &random) }
            return flow(established)

        case .tcpLoss:
            w.handshake(into: &r, &random)
            r.wait(0...5, &random)
            let request = w.segment(
                fromClient: true, flags: [.psh, .ack], payload: filler(random.int(in: 20...300), seed: 3))
            r.emit(request, fromClient: true)
            if random.chance(40) {
                // The request is seen twice: the first copy was lost after the router.
                r.wait(100...250, &random)
                r.emit(request, fromClient: true)
            }
            r.wait(1...20, &random)
            let sizes = (0..<3).map { _ in random.int(in: 300...1200) }
            var starts: [UInt32] = []
            var segments: [IPPacketBuilder] = []
            for size in sizes {
                starts.append(w.serverNext)
                segments.append(w.segment(fromClient: false, flags: .ack, payload: filler(size, seed: 4)))
            }
            let end = w.serverNext
            if random.chance(50) {
                // The second segment is lost before the router: a hole, a SACKed duplicate ACK,
                // and the retransmission.
                r.emit(segments[0], fromClient: false)
                r.advance(microseconds: 200)
                r.emit(segments[2], fromClient: false)
                r.wait(1...3, &random)
                r.emit(w.segment(fromClient: true, flags: .ack, acknowledgement: starts[1]), fromClient: true)
                r.advance(microseconds: 300)
                r.emit(
                    w.segment(
                        fromClient: true, flags: .ack, acknowledgement: starts[1],
                        sackBlocks: [SACKBlock(left: starts[2], right: end)]),
                    fromClient: true)
                r.wait(20...200, &random)
                r.emit(segments[1], fromClient: false)
            } else {
                // Every segment passes, the ACK is lost after the router: the last segment is
                // retransmitted and acknowledged again (a D-SACK where SACK is on).
                for segment in segments {
                    r.emit(segment, fromClient: false)
                    r.advance(microseconds: 150)
                }
                r.wait(100...250, &random)
                r.emit(segments[2], fromClient: false)
                r.wait(1...3, &random)
                r.emit(
                    w.segment(fromClient: true, flags: .ack, sackBlocks: [SACKBlock(left: starts[2], right: end)]),
                    fromClient: true)
            }
            r.wait(1...3, &random)
            r.emit(w.segment(fromClient: true, flags: .ack), fromClient: true)
            if random.chance(50) {
                w.close(into: &r, &random)
                return flow(timeWait)
            }
            return flow(established)

        case .tcpReorder:
            w.handshake(into: &r, &random)
            if random.chance(40) {
                // The handshake's last ACK and the request swap places: drop the recorded ACK
                // and send it after the request.
                let ack = r.events.removeLast()
                r.wait(0...2, &random)
                r.emit(
                    w.segment(
                        fromClient: true, flags: [.psh, .ack], payload: filler(random.int(in: 20...200), seed: 5)),
                    fromClient: true)
                r.advance(microseconds: 100)
                r.events.append((r.clock, true, ack.packet))
            } else {
                r.emit(
                    w.segment(
                        fromClient: true, flags: [.psh, .ack], payload: filler(random.int(in: 20...200), seed: 5)),
                    fromClient: true)
            }
            r.wait(1...10, &random)
            let count = random.int(in: 3...5)
            let segments = (0..<count).map { _ in
                w.segment(fromClient: false, flags: .ack, payload: filler(random.int(in: 200...1000), seed: 6))
            }
            for segment in random.shuffled(segments) {
                r.emit(segment, fromClient: false)
                r.advance(microseconds: random.int64(in: 50...500))
            }
            r.wait(1...3, &random)
            r.emit(w.segment(fromClient: true, flags: .ack), fromClient: true)
            if random.chance(50) {
                w.close(into: &r, &random)
                return flow(timeWait)
            }
            return flow(established)

        case .tcpResetInWindow, .tcpResetExpired:
            w.handshake(into: &r, &random)
            for _ in 0..<random.int(in: 1...2) { w.exchange(into: &r, &random) }
            // Everything is acknowledged, so the RST's sequence number is exactly what the peer
            // acknowledged last.
            let fromClient = random.chance(50)
            r.wait(1...20, &random)
            r.emit(
                w.segment(fromClient: fromClient, flags: random.chance(50) ? [.rst, .ack] : .rst),
                fromClient: fromClient)
            return flow(self == .tcpResetExpired ? .absent : .present(tcpState: "CLOSE", replied: true, assured: true))

        case .tcpResetOutOfWindow:
            w.handshake(into: &r, &random)
            w.exchange(into: &r, &random)
            let fromClient = random.chance(50)
            let next = fromClient ? w.clientNext : w.serverNext
            let sequence = random.chance(50) ? next &+ 0x4000_0000 : next &- UInt32(random.int(in: 100_000...1_000_000))
            r.wait(1...20, &random)
            r.emit(w.segment(fromClient: fromClient, flags: [.rst, .ack], sequence: sequence), fromClient: fromClient)
            if random.chance(50) { w.exchange(into: &r, &random) }
            return flow(established)

        case .tcpRefused:
            r.emit(w.segment(fromClient: true, flags: .syn), fromClient: true)
            if random.chance(30) {
                r.wait(50...200, &random)
                r.emit(w.segment(fromClient: true, flags: .syn, sequence: w.clientNext &- 1), fromClient: true)
            }
            r.wait(1...20, &random)
            r.emit(w.segment(fromClient: false, flags: [.rst, .ack], sequence: 0), fromClient: false)
            return flow(.absent)

        case .tcpUnanswered:
            let isn = w.clientNext
            r.emit(w.segment(fromClient: true, flags: .syn), fromClient: true)
            for _ in 0..<random.int(in: 0...2) {
                r.wait(50...200, &random)
                r.emit(w.segment(fromClient: true, flags: .syn, sequence: isn), fromClient: true)
            }
            return flow(.present(tcpState: "SYN_SENT", replied: false, assured: false))

        case .tcpSimultaneousOpen:
            let clientISN = w.clientNext
            let serverISN = w.serverNext
            r.emit(w.segment(fromClient: true, flags: .syn), fromClient: true)
            r.wait(0...5, &random)
            r.emit(w.segment(fromClient: false, flags: .syn), fromClient: false)
            r.wait(1...10, &random)
            r.emit(w.segment(fromClient: true, flags: [.syn, .ack], sequence: clientISN), fromClient: true)
            r.advance(microseconds: random.int64(in: 10...2000))
            r.emit(w.segment(fromClient: false, flags: [.syn, .ack], sequence: serverISN), fromClient: false)
            // Without a final ACK the entry stays in SYN_RECV (the reply direction's SYN-ACK is
            // ignored there); the first ACK of the exchange establishes it.
            if random.chance(50) {
                w.exchange(into: &r, &random)
                return flow(established)
            }
            return flow(.present(tcpState: "SYN_RECV", replied: true, assured: false))

        case .tcpHalfClose:
            w.handshake(into: &r, &random)
            w.exchange(into: &r, &random)
            let first = random.chance(70)
            r.wait(1...10, &random)
            r.emit(w.segment(fromClient: first, flags: [.fin, .ack]), fromClient: first)
            r.wait(1...10, &random)
            r.emit(w.segment(fromClient: !first, flags: .ack), fromClient: !first)
            for _ in 0..<random.int(in: 1...3) {
                r.wait(1...10, &random)
                r.emit(
                    w.segment(
                        fromClient: !first, flags: [.psh, .ack], payload: filler(random.int(in: 50...1000), seed: 7)),
                    fromClient: !first)
                r.wait(0...3, &random)
                r.emit(w.segment(fromClient: first, flags: .ack), fromClient: first)
            }
            if random.chance(50) {
                r.wait(1...10, &random)
                r.emit(w.segment(fromClient: !first, flags: [.fin, .ack]), fromClient: !first)
                r.wait(1...10, &random)
                r.emit(w.segment(fromClient: first, flags: .ack), fromClient: first)
                return flow(timeWait)
            }
            // Closed in one direction only: FIN_WAIT then CLOSE_WAIT once the FIN is acknowledged.
            return flow(.present(tcpState: "CLOSE_WAIT", replied: true, assured: true))

        case .tcpPortReuse:
            w.handshake(into: &r, &random)
            w.exchange(into: &r, &random)
            if random.chance(60) {
                w.close(into: &r, &random)
            } else {
                let fromClient = random.chance(50)
                r.wait(1...10, &random)
                r.emit(w.segment(fromClient: fromClient, flags: [.rst, .ack]), fromClient: fromClient)
            }
            r.wait(5...60, &random)
            // The same ports again, with new initial sequence numbers beyond the old ones.
            w.clientNext &+= UInt32(random.int(in: 100_000...10_000_000))
            w.serverNext = random.uint32()
            w.handshake(into: &r, &random)
            if random.chance(70) { w.exchange(into: &r, &random) }
            return flow(.present(tcpState: "ESTABLISHED", replied: true, assured: nil))

        case .tcpPickup, .tcpPickupStrict:
            // No handshake in the capture: conntrack picks the connection up in the middle
            // (nf_conntrack_tcp_loose=1).
            w.timestamps = false
            w.clientScale = nil
            w.serverScale = nil
            r.emit(
                w.segment(fromClient: true, flags: [.psh, .ack], payload: filler(random.int(in: 20...300), seed: 8)),
                fromClient: true)
            r.wait(1...20, &random)
            r.emit(
                w.segment(
                    fromClient: false, flags: [.psh, .ack], payload: filler(random.int(in: 100...1000), seed: 9)),
                fromClient: false)
            r.wait(0...3, &random)
            r.emit(w.segment(fromClient: true, flags: .ack), fromClient: true)
            if self == .tcpPickupStrict { return flow(.absent) }
            return flow(.present(tcpState: "ESTABLISHED", replied: true, assured: nil))

        case .tcpRetransmissions:
            w.handshake(into: &r, &random)
            r.wait(0...5, &random)
            let data = w.segment(
                fromClient: true, flags: [.psh, .ack], payload: filler(random.int(in: 50...500), seed: 18))
            for _ in 0..<random.int(in: 2...6) {
                r.emit(data, fromClient: true)
                r.wait(20...80, &random)
            }
            return flow(established)

        case .tcpSynAckRetransmit:
            let serverISN = w.serverNext
            r.emit(w.segment(fromClient: true, flags: .syn), fromClient: true)
            r.wait(1...20, &random)
            r.emit(w.segment(fromClient: false, flags: [.syn, .ack]), fromClient: false)
            for _ in 0..<random.int(in: 1...2) {
                r.wait(30...150, &random)
                r.emit(w.segment(fromClient: false, flags: [.syn, .ack], sequence: serverISN), fromClient: false)
            }
            r.wait(0...2, &random)
            r.emit(w.segment(fromClient: true, flags: .ack), fromClient: true)
            if random.chance(50) { w.exchange(into: &r, &random) }
            return flow(established)

        case .tcpInvalidFlags:
            let flags: TCPFlags = random.pick([[.syn, .fin], .fin, [], [.syn, .rst], [.fin, .psh, .urg]])
            r.emit(
                w.segment(fromClient: true, flags: flags, payload: flags.contains(.syn) ? [] : filler(20, seed: 19)),
                fromClient: true)
            if random.chance(50) {
                r.wait(1...20, &random)
                r.emit(w.segment(fromClient: false, flags: [.rst, .ack], sequence: 0), fromClient: false)
            }
            return flow(.absent)

        case .tcpResetInexact:
            w.handshake(into: &r, &random)
            w.exchange(into: &r, &random)
            let fromClient = random.chance(50)
            let next = fromClient ? w.clientNext : w.serverNext
            r.wait(1...20, &random)
            r.emit(
                w.segment(fromClient: fromClient, flags: .rst, sequence: next &+ UInt32(random.int(in: 1...20_000))),
                fromClient: fromClient)
            return flow(established)

        case .tcpOutOfWindowData:
            w.handshake(into: &r, &random)
            w.exchange(into: &r, &random)
            let fromClient = random.chance(50)
            let next = fromClient ? w.clientNext : w.serverNext
            r.wait(1...10, &random)
            r.emit(
                w.segment(
                    fromClient: fromClient, flags: [.psh, .ack], payload: filler(random.int(in: 100...1000), seed: 20),
                    sequence: next &+ UInt32(random.int(in: 0x0100_0000...0x4000_0000))),
                fromClient: fromClient)
            if random.chance(50) { w.exchange(into: &r, &random) }
            return flow(established)

        case .tcpSynInEstablished:
            w.handshake(into: &r, &random)
            w.exchange(into: &r, &random)
            r.wait(5...50, &random)
            // A client that lost its state opens again from another ISN; the server answers
            // with an ACK for the old connection (RFC 5961 challenge ACK).
            r.emit(
                w.segment(
                    fromClient: true, flags: .syn,
                    sequence: w.clientNext &+ UInt32(random.int(in: 1_000_000...100_000_000))), fromClient: true)
            r.wait(1...20, &random)
            r.emit(w.segment(fromClient: false, flags: .ack), fromClient: false)
            return flow(established)

        case .fragmentedTCP:
            w.allowFragmentation = true
            w.handshake(into: &r, &random)
            r.wait(0...5, &random)
            let data = w.segment(
                fromClient: true, flags: [.psh, .ack], payload: filler(random.int(in: 900...1300), seed: 10))
            let packet = r.build(data)
            let fragmentSize = random.int(in: 25...75) * 8
            let fragments =
                v6
                ? FrameBuilder.fragmentIPv6(
                    packet, fragmentSize: fragmentSize, identification: plan.fragmentIdentifier())
                : FrameBuilder.fragmentIPv4(packet, fragmentSize: fragmentSize)
            for fragment in random.chance(50) ? fragments : random.shuffled(fragments) {
                r.emit(packet: fragment, fromClient: true)
                r.advance(microseconds: random.int64(in: 10...300))
            }
            r.wait(1...10, &random)
            r.emit(w.segment(fromClient: false, flags: .ack), fromClient: false)
            return flow(established)

        default:
            preconditionFailure("\(self) is not a TCP scenario")
        }
    }
}
