import Conntrack
import Foundation
import Packets

let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

extension ConntrackModel {
    /// Runs a whole capture through the model and expires what is due at its last packet.
    func run(_ capture: Capture) {
        for packet in capture.packets {
            packet.data.withUnsafeBytes { _ = process(frame: $0, linkType: capture.linkType, timestamp: packet.timestamp) }
        }
        sweep()
    }

    /// Feeds one IP packet built by the Packets builder at `seconds` past a fixed epoch.
    @discardableResult
    func feed(_ builder: IPPacketBuilder, at seconds: Double) -> ConntrackVerdict {
        let bytes = builder.build()
        let time = Timestamp(nanoseconds: 1_767_225_600_000_000_000 + Int64(seconds * 1e9))
        return bytes.withUnsafeBytes { process(ipPacket: $0, timestamp: time) }
    }

    /// The remaining whole seconds of the only entry.
    var onlyEntry: ConntrackEntry? { entries.count == 1 ? entries[0] : nil }

    func seconds(_ entry: ConntrackEntry) -> Int64 { entry.remainingSeconds(now: now, hz: hz) }
}
