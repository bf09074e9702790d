import Packets

#if canImport(Glibc)
import Glibc
#endif
import CLinuxShims

/// How fast `FrameInjector.inject(_:pacing:)` sends a capture.
public enum InjectionPacing: Sendable, Equatable {
    /// One frame after the other, as fast as the socket takes them.
    case topSpeed
    /// Keeps the gaps between capture timestamps, divided by `speedup` (2 is twice as fast).
    /// Gaps longer than `maximumGap` seconds are cut to it.
    case timestamps(speedup: Double = 1, maximumGap: Double = 5)
}

/// What one `inject` did.
public struct InjectionReport: Sendable, Equatable, CustomStringConvertible {
    /// A packet that was not sent, by its 1-based number in the capture, and why.
    public struct Skipped: Sendable, Equatable {
        public var number: Int
        public var reason: String
    }

    public var sent: Int
    public var bytes: Int
    public var skipped: [Skipped]
    /// Wall-clock seconds the sending took.
    public var seconds: Double

    /// Frames a second, or 0 for an empty run.
    public var framesPerSecond: Double { seconds > 0 ? Double(sent) / seconds : 0 }

    public var description: String {
        let rate = framesPerSecond.rounded()
        return "sent \(sent) frames (\(bytes) bytes) in \(seconds) s (\(rate) frames/s), skipped \(skipped.count)"
    }
}

/// Injects frames into the kernel through an AF_PACKET socket opened inside a namespace on one
/// veth, so that the peer (the router under test) receives them as if from the wire.
///
/// Every captured frame is rewritten by an `EthernetRewriter`: destination the router veth's MAC,
/// source the client veth's MAC, VLAN tags dropped, other link types converted.
public final class FrameInjector {
    public let namespace: NetworkNamespace
    public let interface: String
    public let rewriter: EthernetRewriter
    private let socket: PacketSocket

    /// Opens the socket inside `namespace` on `interface`.
    ///
    /// - Parameters:
    ///   - sourceMAC: the source of every injected frame (the interface's own MAC).
    ///   - destinationMAC: the receiving interface's MAC; anything else is PACKET_OTHERHOST and
    ///     dropped by the receiver.
    public init(
        namespace: NetworkNamespace, interface: String, sourceMAC: MACAddress, destinationMAC: MACAddress
    ) throws {
        self.namespace = namespace
        self.interface = interface
        rewriter = EthernetRewriter(destination: destinationMAC, source: sourceMAC)
        socket = try namespace.run { try PacketSocket(interface: interface) }
    }

    /// Sends one finished Ethernet frame unchanged.
    public func send(ethernetFrame frame: [UInt8]) throws(KernelError) {
        var failure: KernelError?
        frame.withUnsafeBytes { buffer in
            do throws(KernelError) { try socket.send(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Rewrites and sends one captured frame.
    ///
    /// - Throws: `KernelError` of kind `.frame` when the frame cannot be rewritten, or a send error.
    public func inject(_ frame: [UInt8], linkType: LinkType) throws(KernelError) {
        let ethernet: [UInt8]
        do {
            ethernet = try rewriter.rewrite(frame, linkType: linkType)
        } catch {
            throw KernelError(.frame, error.description)
        }
        try send(ethernetFrame: ethernet)
    }

    /// Injects every packet of `capture` in order.
    ///
    /// The frames are rewritten first, then sent from one thread pinned to one CPU, so they enter
    /// the receiving veth's backlog in capture order. Frames that cannot be rewritten (not IP,
    /// undecodable) are skipped and listed in the report; a send error stops the run.
    public func inject(_ capture: Capture, pacing: InjectionPacing = .topSpeed) throws -> InjectionReport {
        var frames: [(number: Int, timestamp: Timestamp, bytes: [UInt8])] = []
        frames.reserveCapacity(capture.packets.count)
        var skipped: [InjectionReport.Skipped] = []
        for packet in capture.packets {
            do {
                frames.append((packet.number, packet.timestamp, try rewriter.rewrite(packet.data, linkType: capture.linkType)))
            } catch {
                skipped.append(.init(number: packet.number, reason: error.description))
            }
        }
        let socket = self.socket
        return try namespace.run {
            _ = ctsim_pin_to_current_cpu()
            var bytes = 0
            let start = Self.monotonicNanoseconds()
            let firstTimestamp = frames.first?.timestamp
            var previousTimestamp = firstTimestamp
            var due = start
            for frame in frames {
                if case .timestamps(let speedup, let maximumGap) = pacing, let previous = previousTimestamp {
                    let gap = min(max(frame.timestamp.seconds(since: previous), 0), maximumGap) / max(speedup, 1e-9)
                    due += Int64(gap * 1e9)
                    Self.sleep(until: due)
                    previousTimestamp = frame.timestamp
                }
                try frame.bytes.withUnsafeBytes { buffer in try socket.send(buffer) }
                bytes += frame.bytes.count
            }
            let seconds = Double(Self.monotonicNanoseconds() - start) / 1e9
            return InjectionReport(sent: frames.count, bytes: bytes, skipped: skipped, seconds: seconds)
        }
    }

    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    private static func sleep(until deadline: Int64) {
        while true {
            let remaining = deadline - monotonicNanoseconds()
            if remaining <= 0 { return }
            var request = timespec(tv_sec: Int(remaining / 1_000_000_000), tv_nsec: Int(remaining % 1_000_000_000))
            _ = nanosleep(&request, nil)
        }
    }
}
