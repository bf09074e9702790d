#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file the user named on the command line (`--junit`, `--data-out`) as a shell's `>`
/// would: open with O_TRUNC and write in place. An atomic write (temporary file + rename) would
/// replace what is there, so `--junit /dev/null` run as root turned /dev/null into a regular file.
enum OutputFile {
    /// Writes `bytes` to `path`; on failure returns the errno text.
    static func save(_ bytes: [UInt8], to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        var failure: String?
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0, errno == EINTR { continue }
                if n <= 0 {
                    failure = String(cString: strerror(n < 0 ? errno : EIO))
                    return
                }
                offset += n
            }
        }
        if close(fd) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        return failure
    }
}
