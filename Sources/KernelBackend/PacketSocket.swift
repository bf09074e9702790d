#if canImport(Glibc)
import Glibc
#endif
import CLinuxShims

/// An AF_PACKET/SOCK_RAW socket bound to one interface, used to send whole link-layer frames
/// (`ctsim_packet_send_socket`, `ctsim_packet_send`). It receives nothing.
///
/// The socket belongs to the namespace of the thread that opened it, for its whole life.
final class PacketSocket {
    let fd: Int32
    let interfaceIndex: Int32
    let interface: String

    /// Opens the socket on `interface` in the calling thread's namespace (if_nametoindex(3),
    /// socket(2), bind(2)).
    init(interface: String) throws(KernelError) {
        let index = if_nametoindex(interface)
        guard index != 0 else { throw KernelError.fromErrno("if_nametoindex \(interface)") }
        interfaceIndex = Int32(index)
        self.interface = interface
        let index32 = Int32(index)
        fd = try systemCall("AF_PACKET socket on \(interface)") { ctsim_packet_send_socket(index32) }
    }

    deinit { close(fd) }

    /// Sends one frame (sendto(2)). Retries on EINTR and, briefly, on ENOBUFS (a full device
    /// queue); any other failure or a short send throws.
    func send(_ frame: UnsafeRawBufferPointer) throws(KernelError) {
        var retries = 0
        while true {
            let sent = ctsim_packet_send(fd, interfaceIndex, frame.baseAddress, frame.count)
            if sent == frame.count { return }
            let code = errno
            if sent < 0, code == EINTR { continue }
            if sent < 0, code == ENOBUFS || code == EAGAIN, retries < 1000 {
                retries += 1
                usleep(100)
                continue
            }
            if sent < 0 { throw KernelError.fromErrno("send \(frame.count)-byte frame on \(interface)", errno: code) }
            throw KernelError(.systemCall, "short send on \(interface): \(sent) of \(frame.count) bytes")
        }
    }
}
