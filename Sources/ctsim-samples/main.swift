// Regenerates the sample captures of Pcaps/ (or of the directory given): `swift run ctsim-samples [DIR]`.
// The samples are described in Sources/SampleCaptures; the same code gives byte-identical files.
import Packets
import SampleCaptures

#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments.dropFirst()
let directory = arguments.first ?? "Pcaps"
do {
    for sample in SampleCatalog.all {
        try sample.write(to: directory)
        print("\(directory)/\(sample.name): \(sample.packets.count) packets, \(sample.summary)")
    }
} catch {
    let line = "ctsim-samples: \(error)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(2)
}
