import Conntrack
import CtsimTesting
import Foundation
import KernelBackend
import Packets
import SampleCaptures
import Testing

/// The text `ctsim track` prints (`ConntrackEntry.conntrackListLine`, the `conntrack -L -o
/// extended` grammar) against the text the real `conntrack -L -o extended` prints in the router
/// namespace after the same capture: the same lines, character for character, except the timeout,
/// which must lie within the replay's wall-clock slack of the model's.
///
/// Only the default sysctls: the model keeps no per-entry counters or start times, so
/// `nf_conntrack_acct=1` (`packets= bytes=`) and `nf_conntrack_timestamp=1` (`delta-time=`) are
/// outside what it claims.
@Suite("conntrack -L -o extended text against the live kernel")
struct ListTextDifferentialTests {
    /// One listing line cut at its timeout: the text before it, the number, the text after it.
    struct Line: Hashable, CustomStringConvertible {
        var head: String
        var timeout: Int
        var tail: String

        /// Splits `ipv4     2 tcp      6 431999 ESTABLISHED src=...` after the protocol number.
        init?(_ text: String) {
            var rest = Substring(text)
            var head = ""
            // Four fields before the timeout: family name, family number, protocol name, number.
            for _ in 0..<4 {
                let leading = rest.prefix(while: { $0 == " " })
                rest = rest.dropFirst(leading.count)
                let word = rest.prefix(while: { $0 != " " })
                guard !word.isEmpty else { return nil }
                head += leading + word
                rest = rest.dropFirst(word.count)
            }
            guard rest.first == " " else { return nil }
            rest = rest.dropFirst()
            let digits = rest.prefix(while: \.isNumber)
            guard let timeout = Int(digits) else { return nil }
            self.head = head
            self.timeout = timeout
            self.tail = String(rest.dropFirst(digits.count))
        }

        var key: String { head + " _" + tail }
        var description: String { head + " \(timeout)" + tail }
    }

    struct KernelListing: Sendable {
        var lines: [String]
        var slack: Double
    }

    /// Replays `capture` through a fresh topology at its own pace and runs the real
    /// `conntrack -L -o extended` in the router namespace.
    static func kernelListing(_ capture: Capture) throws -> KernelListing {
        try withForwardingTopology { topology in
            let neighbours = TrafficGenerator.neighbourAddresses.map {
                "neigh replace \($0) lladdr \(topology.clientMAC) dev \(topology.routerClientInterface) nud permanent"
            }
            try topology.router.ipBatch(neighbours)
            let injector = try topology.makeInjector()
            let start = KernelReplay.monotonicSeconds()
            _ = try injector.inject(capture, pacing: .timestamps(speedup: 1, maximumGap: KernelReplay.maximumGap))
            let output = try topology.router.execute("conntrack", ["-L", "-o", "extended"])
            let wall = KernelReplay.monotonicSeconds() - start
            let span: Double = {
                guard let first = capture.packets.first?.timestamp, let last = capture.packets.last?.timestamp else {
                    return 0
                }
                return last.seconds(since: first)
            }()
            return KernelListing(lines: output.lines, slack: max(0, wall - span))
        }
    }

    /// The lines `ctsim track` prints for `capture`, each with the model's exact remaining seconds.
    static func modelListing(_ capture: Capture) -> [(line: String, exact: Double)] {
        let model = ConntrackModel(sysctls: ConntrackSysctls(), hz: 250)
        for packet in capture.packets {
            packet.data.withUnsafeBytes {
                _ = model.process(frame: $0, linkType: capture.linkType, timestamp: packet.timestamp)
            }
        }
        model.sweep()
        return model.entries.map {
            ($0.conntrackListLine(now: model.now, hz: model.hz), Double($0.timeout - model.now) / Double(model.hz))
        }
    }

    @Test("splitting a line at its timeout")
    func splitting() throws {
        let text =
            "ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 "
            + "src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=0 use=1"
        let line = try #require(Line(text))
        #expect(line.head == "ipv4     2 tcp      6")
        #expect(line.timeout == 431_999)
        #expect(line.tail.hasPrefix(" ESTABLISHED src=10.0.0.1"))
        #expect(line.description == text)
        #expect(Line("conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.") == nil)
    }

    @Test("every sample capture, default sysctls", .needsKernel, arguments: SampleCatalog.all.map(\.name))
    func sample(_ name: String) async throws {
        let capture = try Capture(contentsOf: differentialPackageRoot + "/Pcaps/" + name)
        let model = Self.modelListing(capture)
        let kernel = try await Self.onThread { try Self.kernelListing(capture) }

        let kernelLines = kernel.lines.compactMap(Line.init)
        #expect(kernelLines.count == kernel.lines.count, "\(name): unparsed kernel lines: \(kernel.lines)")
        var modelByKey: [String: (line: Line, exact: Double)] = [:]
        for (text, exact) in model {
            let line = try #require(Line(text), "\(name): the model printed an unparsable line: \(text)")
            #expect(modelByKey[line.key] == nil, "\(name): two model lines differ only in the timeout: \(text)")
            modelByKey[line.key] = (line, exact)
        }
        #expect(
            kernelLines.map(\.key).sorted() == modelByKey.keys.sorted(),
            "\(name):\nkernel:\n\(kernel.lines.sorted().joined(separator: "\n"))\nmodel:\n\(model.map(\.line).sorted().joined(separator: "\n"))"
        )
        for line in kernelLines {
            guard let (modelLine, exact) = modelByKey[line.key] else { continue }
            let low = max(0, Int((exact - kernel.slack - 0.02).rounded(.down)))
            let high = max(0, Int((exact + 0.02).rounded(.down)))
            #expect(
                (low...high).contains(line.timeout) && (low...high).contains(modelLine.timeout),
                "\(name): timeout outside \(low)...\(high): kernel \(line), model \(modelLine)")
        }
    }

    /// Runs `body` on a thread of its own behind `ReplayGate`, as `KernelReplay.replayConcurrently`
    /// does, so the capture's pacing does not hold one of Swift's cooperative threads.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        await ReplayGate.shared.enter()
        defer { Task { await ReplayGate.shared.leave() } }
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = "ctsim-list-text"
            thread.start()
        }
    }
}
