import CtsimTesting
import Foundation
import Packets

/// The package's root directory, found from this file's path.
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The committed sample captures.
let samplePaths: [String] = {
    let directory = packageRoot + "/Pcaps"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted().map { directory + "/" + $0 }
}()

/// A fresh temporary directory, removed by the caller's `defer`.
func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "ctsim-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeItem(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

