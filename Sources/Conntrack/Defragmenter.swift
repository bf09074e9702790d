import Packets

/// IPv4 and IPv6 reassembly ahead of conntrack, as `nf_defrag_ipv4` (the IP stack's `ip_defrag`)
/// and `nf_defrag_ipv6` (`nf_ct_frag6_gather`) do it: fragments are held per datagram (addresses,
/// identification, and for IPv4 the protocol) until the last one arrives and the data is
/// contiguous from 0; only then does conntrack see one packet. Overlapping fragments (other than
/// an exact duplicate) discard the whole datagram (RFC 5722; the kernel's `IPFRAG_OVERLAP`), and
/// a datagram not completed within the timeout (`ipfrag_time`, `nf_conntrack_frag6_timeout`) is
/// forgotten.
struct Defragmenter {
    struct Key: Hashable {
        var family: UInt8
        var protocolNumber: UInt8
        var identification: UInt32
        var sourceHigh: UInt64
        var sourceLow: UInt64
        var destinationHigh: UInt64
        var destinationLow: UInt64
    }

    struct Piece {
        var offset: Int
        var bytes: [UInt8]
        var end: Int { offset + bytes.count }
    }

    struct Queue {
        var started: Int64
        /// The header of the first fragment (IPv4 header, or IPv6 header and the extension headers
        /// before the fragment header, with the fragment header's next header recorded).
        var header: [UInt8]? = nil
        var nextHeader: UInt8 = 0
        var pieces: [Piece] = []
        /// The datagram's data length, known once the last fragment came.
        var total: Int? = nil
    }

    var queues: [Key: Queue] = [:]
    /// How long a datagram may take, in jiffies, per family.
    var ipv4Timeout: Int64
    var ipv6Timeout: Int64

    /// Adds one fragment; returns the reassembled datagram (a whole IP packet) when complete.
    ///
    /// - Parameters:
    ///   - header: for IPv4 the IP header of this fragment; for IPv6 the fixed header and the
    ///     extension headers before the fragment header (the last's next header pointing at the
    ///     fragment header).
    ///   - nextHeader: IPv6: the fragment header's next header.
    ///   - offset: the fragment offset in bytes; `more`: the MF bit; `data`: the fragment's data.
    mutating func add(
        key: Key, header: UnsafeRawBufferPointer, nextHeader: UInt8, offset: Int, more: Bool,
        data: UnsafeRawBufferPointer, now: Int64
    ) -> [UInt8]? {
        let timeout = key.family == 2 ? ipv4Timeout : ipv6Timeout
        if queues.count > 4096 { queues = queues.filter { now - $0.value.started <= timeout } }
        var queue = queues[key] ?? Queue(started: now)
        if now - queue.started > timeout { queue = Queue(started: now) }
        let end = offset + data.count
        // A fragment that is not the last must carry a multiple of 8 bytes (IPv6 rejects it;
        // IPv4 drops it too when it would leave a hole).
        if more, data.count % 8 != 0 || data.isEmpty {
            queues[key] = queue
            return nil
        }
        if !more {
            if let total = queue.total, total != end {
                queues[key] = nil
                return nil
            }
            if queue.pieces.contains(where: { $0.end > end }) {
                queues[key] = nil
                return nil
            }
            queue.total = end
        } else if let total = queue.total, end > total {
            queues[key] = nil
            return nil
        }
        for piece in queue.pieces where piece.offset < end && offset < piece.end {
            if piece.offset == offset, piece.end == end {
                queues[key] = queue  // an exact duplicate is ignored
                return nil
            }
            queues[key] = nil  // overlap: the datagram is discarded
            return nil
        }
        queue.pieces.append(Piece(offset: offset, bytes: Array(data)))
        if offset == 0 {
            queue.header = Array(header)
            queue.nextHeader = nextHeader
        }
        guard let total = queue.total, let first = queue.header else {
            queues[key] = queue
            return nil
        }
        queue.pieces.sort { $0.offset < $1.offset }
        var covered = 0
        for piece in queue.pieces {
            if piece.offset != covered { break }
            covered = piece.end
        }
        guard covered == total else {
            queues[key] = queue
            return nil
        }
        queues[key] = nil
        var packet = first
        for piece in queue.pieces { packet += piece.bytes }
        if key.family == 2 {
            let length = packet.count
            guard length <= 65_535 else { return nil }
            packet[2] = UInt8(length >> 8)
            packet[3] = UInt8(length & 0xFF)
            packet[6] = 0
            packet[7] = 0
            packet[10] = 0
            packet[11] = 0
            let headerLength = Int(packet[0] & 0x0F) * 4
            let sum = packet.withUnsafeBytes { onesComplementSum($0.baseAddress!, count: headerLength) }
            let check = ~sum
            packet[10] = UInt8(check >> 8)
            packet[11] = UInt8(check & 0xFF)
        } else {
            let payload = packet.count - 40
            guard payload <= 65_535 else { return nil }
            packet[4] = UInt8(payload >> 8)
            packet[5] = UInt8(payload & 0xFF)
            // Point the header before the fragment header at what followed it.
            if first.count == 40 {
                packet[6] = queue.nextHeader
            } else {
                var nh = packet[6]
                var cursor = 40
                while cursor < first.count {
                    let length = nh == 51 ? (Int(packet[cursor + 1]) + 2) * 4 : (Int(packet[cursor + 1]) + 1) * 8
                    if cursor + length >= first.count {
                        packet[cursor] = queue.nextHeader
                        break
                    }
                    nh = packet[cursor]
                    cursor += length
                }
            }
        }
        return packet
    }
}
