import CBPF
import CLinuxShims
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// libbpf's warnings and informational messages (`libbpf_set_print`), kept per thread so that a
/// load can report what libbpf said about it even when other threads load other objects.
///
/// The print callback is process-wide; it is installed once and records each message (debug
/// ones excepted) under the id of the thread that caused it.
enum LibbpfMessages {
    private static let store = Mutex<[Int32: [String]]>([:])
    private static let installed = Mutex(false)

    /// Installs the print callback once.
    static func install() {
        let first = installed.withLock { value in
            defer { value = true }
            return !value
        }
        guard first else { return }
        _ = libbpf_set_print { level, format, arguments in
            guard level != LIBBPF_DEBUG, let format, let arguments else { return 0 }
            var buffer = [CChar](repeating: 0, count: 4096)
            let count = vsnprintf(&buffer, buffer.count, format, arguments)
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            LibbpfMessages.record(text)
            return count
        }
    }

    private static func record(_ text: String) {
        let tid = ctsim_gettid()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        store.withLock { $0[tid, default: []].append(contentsOf: lines) }
    }

    /// Removes and returns what was recorded for the calling thread.
    static func take() -> [String] {
        let tid = ctsim_gettid()
        return store.withLock { $0.removeValue(forKey: tid) ?? [] }
    }
}
