import CtsimTesting
import Foundation
import Packets
import SampleCaptures
import Testing

@Suite struct CaptureTests {
    @Test func everySampleIsPresent() {
        #expect(samplePaths.count == SampleCatalog.all.count)
    }

    @Test(arguments: SampleCatalog.all.map(\.name))
    func samplesReadBackAsWritten(_ name: String) throws {
        let sample = try #require(SampleCatalog.all.first { $0.name == name })
        let capture = try Capture(contentsOf: packageRoot + "/Pcaps/" + name)
        #expect(capture.linkType == sample.linkType)
        #expect(capture.snapshotLength == sample.snapshotLength)
        #expect(capture.format.container == (sample.container == .pcap ? .pcap : .pcapng))
        #expect(capture.packets.count == sample.packets.count)
        for (read, written) in zip(capture.packets, sample.packets) {
            #expect(read.data == written.frame)
            #expect(read.originalLength == written.originalLength)
            // Microsecond files keep microseconds; nanosecond files keep every digit.
            let unit: Int64 = sample.precision == .nanoseconds ? 1 : 1000
            #expect(read.timestamp.nanoseconds == written.timestamp.nanoseconds / unit * unit)
        }
    }

    @Test func regeneratingSamplesGivesByteIdenticalFiles() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeItem(directory) }
        try SampleCatalog.writeAll(to: directory)
        for sample in SampleCatalog.all {
            let fresh = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + sample.name))
            let committed = try Data(contentsOf: URL(fileURLWithPath: packageRoot + "/Pcaps/" + sample.name))
            #expect(fresh == committed, "\(sample.name) differs from the committed file: run `make pcaps`")
        }
    }

    /// A writer that cannot create its file throws (it once freed libpcap's handle twice).
    @Test func aWriterIntoAMissingDirectoryThrowsOnce() {
        let path = NSTemporaryDirectory() + "ctsim-missing-\(UUID().uuidString)/out.pcap"
        #expect(throws: CaptureError.self) { _ = try CaptureWriter(path: path, linkType: .ethernet) }
    }

    @Test func writerRoundTripsNanosecondsAndSnapshotLength() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeItem(directory) }
        let path = directory + "/ns.pcap"
        let writer = try CaptureWriter(path: path, linkType: .raw, snapshotLength: 64, precision: .nanoseconds)
        let frames: [[UInt8]] = [Array(repeating: 0x45, count: 100), [0x60, 1, 2, 3]]
        try writer.write(frames[0], timestamp: Timestamp(nanoseconds: 1_700_000_000_123_456_789))
        try writer.write(frames[1], timestamp: Timestamp(nanoseconds: 1_700_000_001_000_000_001))
        try writer.close()
        let capture = try Capture(contentsOf: path)
        #expect(capture.format == CaptureFormat(container: .pcap, precision: .nanoseconds, bigEndian: false))
        #expect(capture.linkType == .raw)
        #expect(capture.packets.map(\.timestamp.nanoseconds) == [1_700_000_000_123_456_789, 1_700_000_001_000_000_001])
        #expect(capture.packets[0].data == Array(frames[0].prefix(64)))
        #expect(capture.packets[0].originalLength == 100)
        #expect(capture.packets[0].isTruncated)
        #expect(capture.packets[1].data == frames[1])
    }

    @Test func pcapngMicrosecondResolutionIsRead() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeItem(directory) }
        let path = directory + "/us.pcapng"
        let writer = PcapNGWriter(path: path, linkType: .ethernet, precision: .microseconds)
        writer.write(Array(repeating: 0, count: 20), timestamp: Timestamp(nanoseconds: 5_000_123_000))
        try writer.close()
        let capture = try Capture(contentsOf: path)
        #expect(capture.format.container == .pcapng)
        #expect(capture.packets.first?.timestamp.nanoseconds == 5_000_123_000)
    }

    @Test func truncatedFilesNameThePacketAndOffset() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeItem(directory) }
        for name in ["tcp-handshake-close.pcap", "tcp-udp.pcapng"] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: packageRoot + "/Pcaps/" + name))
            let complete = try Capture(contentsOf: packageRoot + "/Pcaps/" + name)
            var failures = 0
            // Cut the file at many places: each read must either end cleanly on a record
            // boundary or fail as truncated, naming a packet and an offset not past the cut.
            for cut in stride(from: 1, to: bytes.count, by: 7) {
                let path = directory + "/cut-\(cut)-" + name
                try bytes.prefix(cut).write(to: URL(fileURLWithPath: path))
                do {
                    let capture = try Capture(contentsOf: path)
                    #expect(capture.packets.count < complete.packets.count)
                } catch {
                    failures += 1
                    #expect(error.kind == .truncated || error.kind == .malformed, "\(error)")
                    #expect(error.path == path)
                    #expect(error.offset != nil && error.offset! <= cut, "\(error)")
                    if cut > 40 { #expect(error.packet != nil || name.hasSuffix("pcapng"), "\(error)") }
                    #expect(!error.description.contains("\n"))
                }
            }
            #expect(failures > bytes.count / 7 / 2)
        }
    }

    @Test func aPacketCutShortReportsItsNumber() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeItem(directory) }
        let source = packageRoot + "/Pcaps/tcp-handshake-close.pcap"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        // 24-byte file header, then per packet 16 + caplen; cut 10 bytes into packet 3's data.
        let capture = try Capture(contentsOf: source)
        let offset3 = 24 + capture.packets[0..<2].reduce(0) { $0 + 16 + $1.data.count }
        let path = directory + "/cut.pcap"
        try bytes.prefix(offset3 + 16 + 10).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: CaptureError.self) { try Capture(contentsOf: path) }
        #expect(error.kind == .truncated)
        #expect(error.packet == 3)
        #expect(error.offset == offset3)
        #expect(error.description.hasPrefix(path + " (packet 3, byte offset \(offset3)): "))
    }

    @Test func garbageIsNotACapture() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeItem(directory) }
        var rng = SplitMix64(seed: 42)
        for i in 0..<50 {
            let path = directory + "/garbage-\(i)"
            let size = Int(rng.next() % 4096)
            try Data((0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }).write(to: URL(fileURLWithPath: path))
            let error = try #require(throws: CaptureError.self) { try Capture(contentsOf: path) }
            #expect(error.offset == 0)
            #expect(size == 0 ? error.kind == .truncated : error.kind == .unknownFormat)
        }
        #expect(throws: CaptureError.self) { try Capture(contentsOf: directory + "/does-not-exist.pcap") }
        let dirError = try #require(throws: CaptureError.self) { try Capture(contentsOf: directory) }
        #expect(dirError.kind == .unreadable)
    }

    @Test func aValidHeaderWithHostileRecordsFailsCleanly() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeItem(directory) }
        var rng = SplitMix64(seed: 7)
        let header = try Data(contentsOf: URL(fileURLWithPath: packageRoot + "/Pcaps/udp-request-reply.pcap")).prefix(24)
        for i in 0..<50 {
            let path = directory + "/hostile-\(i).pcap"
            let body = (0..<Int(rng.next() % 600)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            try (header + Data(body)).write(to: URL(fileURLWithPath: path))
            do {
                _ = try Capture(contentsOf: path)
            } catch {
                #expect(error.packet != nil && error.offset != nil, "\(error)")
            }
        }
    }
}
