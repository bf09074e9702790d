import BPFObject
import Conntrack
import ConntrackKfuncs
import Packets

/// The result of running a program once per packet of a capture.
public struct ReplayResult: Sendable {
    public struct PacketResult: Sendable {
        public var index: Int
        /// nil when the packet was not run (`skipped`) or the run faulted (`fault`).
        public var returnValue: UInt64?
        public var action: String?
        public var skipped: String?
        public var fault: String?
        /// The frame as the program left it (only kept when asked).
        public var output: [UInt8]?
        /// Kfunc calls (only with tracing).
        public var kfuncCalls: [KfuncTraceRecord] = []
        /// Conntrack events the packet caused (only with tracing).
        public var events: [ConntrackEvent] = []
    }

    public var program: String
    public var type: BPFObject.ProgramType
    public var results: [PacketResult]
    public var globals: [GlobalVariable]
    /// The table after the last packet (expired entries swept), and the clock it was read at.
    public var conntrack: [ConntrackEntry]
    public var now: Int64
    public var hz: Int64
    public var instructions: Int

    /// Packets per action name (faults as `FAULT`).
    public var counts: [(String, Int)] {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for r in results {
            guard let name = r.action ?? (r.fault != nil ? "FAULT" : nil) else { continue }
            if counts[name] == nil { order.append(name) }
            counts[name, default: 0] += 1
        }
        return order.map { ($0, counts[$0]!) }
    }
}

/// Options of a replay.
public struct ReplayOptions: Sendable {
    /// Record each kfunc call and the conntrack events per packet.
    public var trace = false
    /// Keep each packet's output bytes.
    public var keepOutput = false
    /// Passed packets continue into native conntrack (the model's packet path).
    public var track = false
    /// Called every `progressEvery` packets with (done, total).
    public var progressEvery = 0
    public init() {}
}

/// Runs a program over a capture like the kernel's BPF_PROG_TEST_RUN, one run per packet in
/// capture order, on the capture's clock. Frames of other link types get an Ethernet header in
/// front of their network layer (as the kernel-side replay does); non-IP frames are skipped.
public enum CaptureReplay {
    /// The frame a packet of `linkType` becomes: Ethernet unchanged, others re-framed.
    public static func ethernetFrame(_ data: [UInt8], linkType: LinkType) -> (frame: [UInt8]?, skipped: String?) {
        if linkType == .ethernet {
            return data.count < 14 ? (nil, "frame of \(data.count) bytes is shorter than an Ethernet header") : (data, nil)
        }
        let decoded: Result<LinkLayerInfo, DissectionError> = data.withUnsafeBytes { buffer in
            do throws(DissectionError) { return .success(try LinkLayerInfo.decode(buffer, linkType: linkType)) } catch { return .failure(error) }
        }
        switch decoded {
        case .failure(let error): return (nil, "link layer not decodable: \(error)")
        case .success(let info):
            guard info.etherType == 0x0800 || info.etherType == 0x86DD else {
                return (nil, "EtherType 0x\(String(info.etherType, radix: 16)) is not IPv4 or IPv6")
            }
            guard info.networkOffset < data.count else { return (nil, "no network layer after the link-layer header") }
            return ([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, UInt8(info.etherType >> 8), UInt8(info.etherType & 0xFF)] + data[info.networkOffset...], nil)
        }
    }

    public static func run(_ session: ProgramSession, capture: Capture, options: ReplayOptions = ReplayOptions(), progress: ((Int, Int) -> Void)? = nil)
        -> ReplayResult
    {
        var results: [ReplayResult.PacketResult] = []
        results.reserveCapacity(capture.packets.count)
        session.binding.tracing = options.trace
        session.model.recordsEvents = options.trace
        var instructions = 0
        let passValue: UInt64 = session.type == .xdp ? 2 : 0
        for (index, packet) in capture.packets.enumerated() {
            var result = ReplayResult.PacketResult(index: index)
            let (frame, skipped) = ethernetFrame(packet.data, linkType: capture.linkType)
            if let frame {
                let outcome = frame.withUnsafeBytes {
                    session.run(bytes: $0, nanoseconds: packet.timestamp.nanoseconds, keepPacket: options.keepOutput || options.track)
                }
                instructions += outcome.instructions
                result.returnValue = outcome.returnValue
                result.action = outcome.returnValue.map(session.action)
                result.fault = outcome.fault
                if options.keepOutput { result.output = outcome.packet }
                if options.track, outcome.returnValue == passValue || (session.type != .xdp && outcome.returnValue == UInt64(bitPattern: -1)) {
                    _ = outcome.packet.withUnsafeBytes {
                        session.model.process(frame: $0, linkType: .ethernet, timestamp: packet.timestamp)
                    }
                }
            } else {
                result.skipped = skipped
            }
            if options.trace {
                result.kfuncCalls = session.binding.trace
                session.binding.trace.removeAll()
                result.events = session.model.events
                session.model.events.removeAll()
            }
            results.append(result)
            if options.progressEvery > 0, (index + 1) % options.progressEvery == 0 { progress?(index + 1, capture.packets.count) }
        }
        session.model.sweep()
        return ReplayResult(
            program: session.name, type: session.type, results: results, globals: session.globals, conntrack: session.model.entries,
            now: session.model.now, hz: session.model.hz, instructions: instructions)
    }
}
