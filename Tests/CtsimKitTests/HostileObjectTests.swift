import CtsimKit
import Foundation
import Packets
import Testing

/// CtsimKit's public API fed what a careless or hostile caller might: cut and bit-flipped
/// objects, empty and absurd frames, clocks that jump, settings out of range. Every case must
/// end in a `CtsimKitError` or a result, never a trap (a trap ends this test process).
@Suite struct HostileObjectTests {
    static let firewall = KitTestFiles.root + "/bpf/build/xdp_ct_firewall.bpf.o"

    static func bytes() throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: firewall))) }

    /// Prefixes of the object: every one is refused with a `.load` error, none traps.
    @Test func cutObjectsAreLoadErrors() throws {
        let whole = try Self.bytes()
        var refused = 0
        for length in stride(from: 0, to: whole.count, by: 97) {
            do {
                _ = try XDPProgram(objectBytes: Array(whole[..<length]), named: "cut-\(length)")
            } catch {
                #expect(error.kind == .load || error.kind == .rejected, "\(length): \(error)")
                refused += 1
            }
        }
        #expect(refused > 0)
    }

    /// Seeded bit flips across the object: loading either succeeds or throws; running what loads
    /// on a frame gives a result.
    @Test func flippedObjectsLoadOrThrow() throws {
        let whole = try Self.bytes()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        var outcomes = (loaded: 0, refused: 0)
        for round in 0..<150 {
            var mutated = whole
            for _ in 0..<(1 + round % 4) {
                let at = Int(next() % UInt64(mutated.count))
                mutated[at] ^= UInt8(1 << (next() % 8))
            }
            do {
                let program = try XDPProgram(objectBytes: mutated, named: "flip-\(round)")
                program.run(frame: [UInt8](repeating: 0xFF, count: 64), at: Timestamp(nanoseconds: 1))
                outcomes.loaded += 1
            } catch {
                outcomes.refused += 1
            }
        }
        #expect(outcomes.loaded + outcomes.refused == 150)
    }

    /// Frames of every awkward size, and a clock that goes to both ends of Int64 and back.
    @Test func absurdFramesAndClocksGiveResults() throws {
        let program = try XDPProgram(object: Self.firewall)
        let frames: [[UInt8]] = [
            [], [0], [UInt8](repeating: 0, count: 13), [UInt8](repeating: 0xFF, count: 14),
            [UInt8](repeating: 0x45, count: 70_000), (0..<1500).map { UInt8(truncatingIfNeeded: $0 &* 31) },
        ]
        let clocks: [Int64] = [0, .max, .min, -1, 1, .max / 2, 0]
        var runs = 0
        for frame in frames {
            for clock in clocks {
                let result = program.run(frame: frame, at: Timestamp(nanoseconds: clock))
                #expect(result.index == runs)
                runs += 1
            }
        }
        #expect(program.packetsRun == frames.count * clocks.count)
    }

    @Test func settingsOutOfRangeAreErrors() throws {
        #expect(throws: CtsimKitError.self) {
            _ = try XDPProgram(object: Self.firewall, sysctls: ["net.netfilter.nf_conntrack_udp_timeout": "-1"])
        }
        #expect(throws: CtsimKitError.self) { _ = try XDPProgram(object: Self.firewall, constants: ["": 1]) }
        #expect(throws: CtsimKitError.self) { _ = try XDPProgram(object: "/dev/null") }
        #expect(throws: CtsimKitError.self) { _ = try XDPProgram(object: KitTestFiles.root) }
        #expect(throws: CtsimKitError.self) { _ = try TCProgram(object: Self.firewall) }
        // Int.max trapped in the TCP tracker (timeouts in jiffies overflowed); HZ is 1 ... 10000.
        for hz in [0, -5, 10_001, Int.max] {
            #expect(throws: CtsimKitError.self) { _ = try XDPProgram(object: Self.firewall, hz: hz) }
            #expect(throws: CtsimKitError.self) { _ = try ConntrackSimulation(hz: hz) }
        }
        for hz in [1, 10_000] {
            let program = try XDPProgram(object: Self.firewall, hz: hz)
            program.run(frame: [UInt8](repeating: 0, count: 60), at: Timestamp(nanoseconds: .max))
            #expect(program.packetsRun == 1)
        }
        let program = try XDPProgram(object: Self.firewall)
        #expect(throws: CtsimKitError.self) { _ = try program.run(captureFile: KitTestFiles.root) }
        #expect(throws: CtsimKitError.self) { _ = try program.run(captureFile: "/dev/null") }
    }
}
