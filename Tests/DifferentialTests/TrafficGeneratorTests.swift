import Foundation
import Packets
import SampleCaptures
import Testing

/// The generated corpus the differential tests replay: seeds 1 through 200, each in the mix
/// `TrafficMix.standard(forSeed:)` gives it.
enum GeneratedCorpus {
    static let seeds = Array(UInt64(1)...200)
}

@Suite("Traffic generator")
struct TrafficGeneratorTests {
    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent(
            "ctsim-gen-\(getpid())-\(UUID().uuidString)-\(name)"
        ).path
    }

    static func fileBytes(of generated: GeneratedCapture) throws -> [UInt8] {
        let directory = temporaryPath("dir")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try generated.sample.write(to: directory)
        return Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + generated.sample.name)))
    }

    @Test("the same seed gives a byte-identical capture file", arguments: [UInt64(1), 2, 8, 10, 77, 200, 123_456_789])
    func determinism(seed: UInt64) throws {
        let first = try Self.fileBytes(of: TrafficGenerator.capture(seed: seed))
        let second = try Self.fileBytes(of: TrafficGenerator.capture(seed: seed))
        #expect(first == second)
        #expect(first.count > 24 + 16)
        let neighbour = try Self.fileBytes(of: TrafficGenerator.capture(seed: seed + 1))
        #expect(first != neighbour)
    }

    @Test("one seed in different mixes gives different captures")
    func mixesDiffer() {
        let frames = TrafficMix.allCases.map { TrafficGenerator.capture(seed: 5, mix: $0).sample.packets.map(\.frame) }
        #expect(Set(frames).count == TrafficMix.allCases.count)
    }

    @Test("the file reads back as the in-memory capture", arguments: [UInt64(3), 9, 10])
    func readBack(seed: UInt64) throws {
        let generated = TrafficGenerator.capture(seed: seed)
        let directory = Self.temporaryPath("dir")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try generated.sample.write(to: directory)
        let read = try Capture(contentsOf: directory + "/" + generated.sample.name)
        let memory = generated.sample.capture
        #expect(read.linkType == memory.linkType)
        #expect(read.packets.map(\.data) == memory.packets.map(\.data))
        #expect(read.packets.map(\.timestamp) == memory.packets.map(\.timestamp))
    }

    @Test("every generated packet dissects without error and with correct checksums", arguments: GeneratedCorpus.seeds)
    func validity(seed: UInt64) {
        let generated = TrafficGenerator.capture(seed: seed)
        let dissector = Dissector(linkType: generated.sample.linkType)
        #expect(!generated.sample.packets.isEmpty)
        var previous = Timestamp(nanoseconds: .min)
        for (index, packet) in generated.sample.packets.enumerated() {
            let dissection = dissector.dissect(packet.frame)
            #expect(
                dissection.error == nil,
                "seed \(seed) packet \(index + 1): \(dissection.error.map(String.init(describing:)) ?? "")")
            #expect(
                dissection.checksumErrors.isEmpty,
                "seed \(seed) packet \(index + 1): bad checksum in \(dissection.checksumErrors)")
            #expect(!dissection.capturedShort)
            #expect(packet.timestamp >= previous, "seed \(seed) packet \(index + 1) goes back in time")
            #expect(packet.timestamp.nanoseconds % 1000 == 0)
            previous = packet.timestamp
            if let (source, destination) = dissection.addresses {
                for address in [source, destination] {
                    #expect(Self.isGeneratorAddress(address), "seed \(seed) packet \(index + 1): address \(address)")
                }
            } else {
                Issue.record("seed \(seed) packet \(index + 1): no network layer")
            }
        }
        // Short captures replay fast; the gap mixes are as long as their gap needs.
        #expect(generated.duration < (generated.mix.isGapMix ? 3.0 : 1.2), "seed \(seed): \(generated.duration) s")
    }

    /// The generator's address plan: the documentation networks the topology routes, never the
    /// router's own addresses.
    static func isGeneratorAddress(_ address: IPAddress) -> Bool {
        let known =
            TrafficGenerator.clientAddresses4 + TrafficGenerator.clientAddresses6 + TrafficGenerator.serverAddresses4
            + TrafficGenerator.serverAddresses6 + [TrafficGenerator.hop4, TrafficGenerator.hop6]
        return known.contains(address)
    }

    @Test("the corpus covers every scenario, every mix, both families and reordered fragments")
    func coverage() {
        let captures = GeneratedCorpus.seeds.map { TrafficGenerator.capture(seed: $0) }
        let scenarios = Set(captures.flatMap { $0.flows.map(\.scenario) })
        #expect(
            scenarios == Set(TrafficScenario.allCases),
            "missing: \(Set(TrafficScenario.allCases).subtracting(scenarios))")
        #expect(Set(captures.map(\.mix)) == Set(TrafficMix.allCases))
        let flows = captures.flatMap(\.flows)
        #expect(flows.filter { $0.key.source.isIPv6 }.count > 100)
        #expect(flows.filter { !$0.key.source.isIPv6 }.count > 100)
        #expect(flows.filter { $0.expectation != nil }.count > flows.count * 3 / 4)
        // Out-of-order fragments: an IPv4 fragment with a nonzero offset before the one at zero.
        var reordered = 0
        for capture in captures {
            let dissector = Dissector(linkType: capture.sample.linkType)
            var seenFirst: Set<UInt16> = []
            for packet in capture.sample.packets {
                guard let ip = dissector.dissect(packet.frame).ipv4, ip.isFragment else { continue }
                if ip.fragmentOffset == 0 {
                    seenFirst.insert(ip.identification)
                } else if !seenFirst.contains(ip.identification) {
                    reordered += 1
                    break
                }
            }
        }
        #expect(reordered > 5)
    }

    @Test("flows of one capture never share a tuple")
    func distinctFlows() {
        for seed in GeneratedCorpus.seeds {
            let keys = TrafficGenerator.capture(seed: seed).flows.map(\.key)
            #expect(Set(keys).count == keys.count, "seed \(seed)")
        }
    }
}
