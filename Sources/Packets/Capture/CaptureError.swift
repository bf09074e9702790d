/// An error reading or writing a capture file, with the place it happened.
///
/// Its `description` is the one line the command-line tool prints: the file, then the packet
/// number and byte offset where known, then what is wrong.
public struct CaptureError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// The file could not be opened or read.
        case unreadable
        /// The file is neither a pcap nor a pcapng capture.
        case unknownFormat
        /// The file ends in the middle of a header or a packet.
        case truncated
        /// A header or record is present but its contents are impossible.
        case malformed
        /// A capture could not be written.
        case writeFailed
        /// The capture's link type cannot be handled here.
        case unsupportedLinkType
    }

    public var kind: Kind
    /// The capture's path.
    public var path: String
    /// The 1-based number of the packet being read, if the error concerns one.
    public var packet: Int?
    /// The byte offset in the file where the record that failed starts, if known.
    public var offset: Int?
    /// What went wrong, in words.
    public var message: String

    public init(_ kind: Kind, path: String, packet: Int? = nil, offset: Int? = nil, message: String) {
        self.kind = kind
        self.path = path
        self.packet = packet
        self.offset = offset
        self.message = message
    }

    public var description: String {
        var place: [String] = []
        if let packet { place.append("packet \(packet)") }
        if let offset { place.append("byte offset \(offset)") }
        let location = place.isEmpty ? "" : " (\(place.joined(separator: ", ")))"
        return "\(path)\(location): \(message)"
    }
}
