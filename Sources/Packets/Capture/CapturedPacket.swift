/// One packet record of a capture.
public struct CapturedPacket: Hashable, Sendable {
    /// The 1-based position of the packet in its capture.
    public var number: Int
    public var timestamp: Timestamp
    /// The length of the packet on the wire; `data` holds at most the snapshot length of it.
    public var originalLength: Int
    /// The captured bytes, starting with the link-layer header.
    public var data: [UInt8]

    public init(number: Int, timestamp: Timestamp, originalLength: Int? = nil, data: [UInt8]) {
        self.number = number
        self.timestamp = timestamp
        self.originalLength = originalLength ?? data.count
        self.data = data
    }

    /// Whether the capture cut the packet short (snapshot length smaller than the packet).
    public var isTruncated: Bool { data.count < originalLength }
}

/// A whole capture in memory.
public struct Capture: Sendable {
    public var path: String
    public var format: CaptureFormat
    public var linkType: LinkType
    public var snapshotLength: Int
    public var packets: [CapturedPacket]

    public init(path: String, format: CaptureFormat, linkType: LinkType, snapshotLength: Int, packets: [CapturedPacket]) {
        self.path = path
        self.format = format
        self.linkType = linkType
        self.snapshotLength = snapshotLength
        self.packets = packets
    }

    /// Reads every packet of the capture at `path`.
    public init(contentsOf path: String) throws(CaptureError) {
        let reader = try CaptureReader(path: path)
        var packets: [CapturedPacket] = []
        while let packet = try reader.next() { packets.append(packet) }
        self.init(
            path: path, format: reader.format, linkType: reader.linkType,
            snapshotLength: reader.snapshotLength, packets: packets)
    }
}
