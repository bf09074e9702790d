import CtsimTesting
import Foundation
import KernelBackend
import Packets
import SampleCaptures

#if canImport(Glibc)
    import Glibc
#endif

/// What the live kernel's router table held after a capture was replayed through a fresh
/// `ForwardingTopology`, paced by the capture's timestamps.
struct KernelReplayResult: Sendable {
    var entries: [KernelConntrackEntry]
    var report: InjectionReport
    /// The capture's span (last timestamp minus first), in seconds.
    var captureSpan: Double
    /// Wall-clock seconds from the start of injection to the end of the dump.
    var wallSeconds: Double

    /// How far the kernel's clock ran past the capture's last packet by the time the table was
    /// read: a kernel timeout is at most this much (plus the whole-second truncation) below the
    /// remaining timeout on the capture's clock.
    var slack: Double { max(0, wallSeconds - captureSpan) }
}

/// Replays captures into the live kernel.
enum KernelReplay {
    /// Gaps longer than this are kept as they are (a capture's own point may be a gap of seconds).
    static let maximumGap = 10.0

    /// Builds a topology with `sysctls` in the router, gives it permanent neighbour entries for
    /// the generator's extra client addresses, replays `capture` at its own pace, and dumps the
    /// router's table. The topology is gone when this returns.
    static func replay(_ capture: Capture, sysctls: [(key: String, value: String)] = []) throws -> KernelReplayResult {
        try withForwardingTopology(configuration: .init(routerSysctls: sysctls)) { topology in
            let neighbours = TrafficGenerator.neighbourAddresses.map {
                "neigh replace \($0) lladdr \(topology.clientMAC) dev \(topology.routerClientInterface) nud permanent"
            }
            try topology.router.ipBatch(neighbours)
            let injector = try topology.makeInjector()
            let start = monotonicSeconds()
            let report = try injector.inject(capture, pacing: .timestamps(speedup: 1, maximumGap: maximumGap))
            let entries = try topology.routerConntrack()
            let wall = monotonicSeconds() - start
            let span: Double = {
                guard let first = capture.packets.first?.timestamp, let last = capture.packets.last?.timestamp else {
                    return 0
                }
                return last.seconds(since: first)
            }()
            return KernelReplayResult(entries: entries, report: report, captureSpan: span, wallSeconds: wall)
        }
    }

    /// `replay` on a thread of its own, at most `ReplayGate.width` at a time, so that tests
    /// awaiting it leave Swift's cooperative threads free while the capture's pacing sleeps.
    static func replayConcurrently(_ capture: Capture, sysctls: [(key: String, value: String)] = []) async throws
        -> KernelReplayResult
    {
        await ReplayGate.shared.enter()
        defer { Task { await ReplayGate.shared.leave() } }
        let box = SysctlBox(values: sysctls)
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try replay(capture, sysctls: box.values) })
            }
            thread.name = "ctsim-replay"
            thread.start()
        }
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

/// Sysctl pairs handed to a replay thread (tuples of Strings are not `Sendable` by declaration).
private struct SysctlBox: @unchecked Sendable {
    var values: [(key: String, value: String)]
}

/// Bounds how many replays run at once: each holds three namespaces, and topology set-up runs
/// `ip` and `nft`, which compete for the machine's few cores.
actor ReplayGate {
    static let shared = ReplayGate(width: 8)

    let width: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(width: Int) { self.width = width }

    func enter() async {
        if running < width {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
