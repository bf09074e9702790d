import Replay

extension SimulatedProgram {
    /// Runs the program once on an Ethernet frame at `timestamp` (the clock for the program's
    /// ktime and the conntrack model; it never goes back).
    @discardableResult
    public func run(frame: [UInt8], at timestamp: Timestamp) -> PacketResult<Verdict> {
        run(data: frame, linkType: .ethernet, at: timestamp)
    }

    /// Runs the program once on a captured packet of `linkType`. Frames of other link types get an
    /// Ethernet header in front of their network layer; non-IP frames of them are skipped.
    @discardableResult
    public func run(_ packet: CapturedPacket, linkType: LinkType = .ethernet) -> PacketResult<Verdict> {
        run(data: packet.data, linkType: linkType, at: packet.timestamp)
    }

    /// Runs the program on every packet of `packets` in order.
    @discardableResult
    public func run(_ packets: some Sequence<CapturedPacket>, linkType: LinkType = .ethernet) -> [PacketResult<Verdict>]
    {
        packets.map { run($0, linkType: linkType) }
    }

    /// Runs the program on every packet of `capture` in order.
    @discardableResult
    public func run(_ capture: Capture) -> [PacketResult<Verdict>] { run(capture.packets, linkType: capture.linkType) }

    /// Runs the program on every packet of hand-built `traffic` in order.
    @discardableResult
    public func run(_ traffic: Traffic) -> [PacketResult<Verdict>] { run(traffic.packets) }

    /// Reads the pcap or pcapng file at `path` and runs the program on every packet in order.
    /// - Throws: `CtsimKitError` of kind `.capture` when the file cannot be read.
    @discardableResult
    public func run(captureFile path: String) throws(CtsimKitError) -> [PacketResult<Verdict>] {
        let capture: Capture
        do {
            capture = try Capture(contentsOf: path)
        } catch {
            throw CtsimKitError(.capture, error.description, location: path)
        }
        return run(capture)
    }

    func run(data: [UInt8], linkType: LinkType, at timestamp: Timestamp) -> PacketResult<Verdict> {
        session.binding.tracing = tracing
        session.model.recordsEvents = tracing
        var result = PacketResult<Verdict>(
            index: packetsRun, timestamp: timestamp, verdict: nil, returnValue: nil, packet: [], fault: nil,
            skipped: nil, kfuncCalls: [],
            events: [], instructions: 0)
        packetsRun += 1
        let (frame, skipped) = CaptureReplay.ethernetFrame(data, linkType: linkType)
        if let frame {
            let outcome = session.run(frame: frame, nanoseconds: timestamp.nanoseconds)
            result.returnValue = outcome.returnValue
            result.verdict = outcome.returnValue.map(Verdict.init(returnValue:))
            result.fault = outcome.fault
            result.packet = outcome.packet
            result.instructions = outcome.instructions
            if tracksPassedPackets, result.verdict?.passesPacket == true {
                _ = outcome.packet.withUnsafeBytes {
                    session.model.process(frame: $0, linkType: .ethernet, timestamp: timestamp)
                }
            }
        } else {
            result.skipped = skipped
        }
        if tracing {
            result.kfuncCalls = session.binding.trace.map {
                KfuncCall(name: $0.name, arguments: $0.arguments, result: $0.result, errno: $0.errno)
            }
            result.events = session.model.events
        }
        session.binding.trace.removeAll()
        session.model.events.removeAll()
        return result
    }
}
