internal import CPcap

/// Writes a pcap capture through libpcap (`pcap_open_dead_with_tstamp_precision`,
/// `pcap_dump_open`, `pcap_dump`).
///
/// The same packets written with the same settings give byte-identical files.
public final class CaptureWriter {
    public let path: String
    public let linkType: LinkType
    public let snapshotLength: Int
    public let precision: CaptureFormat.Precision

    private let dead: OpaquePointer
    private var dumper: OpaquePointer?

    /// Creates (or truncates) the file at `path`.
    ///
    /// - Parameters:
    ///   - linkType: the DLT value of the frames to be written.
    ///   - snapshotLength: recorded in the file header; longer packets are cut to it.
    ///   - precision: `.microseconds` writes the classic magic, `.nanoseconds` the nanosecond one.
    public init(
        path: String, linkType: LinkType, snapshotLength: Int = 262_144,
        precision: CaptureFormat.Precision = .microseconds
    ) throws(CaptureError) {
        guard precision != .perInterface else {
            throw CaptureError(.writeFailed, path: path, message: "pcap files store one timestamp precision")
        }
        self.path = path
        self.linkType = linkType
        self.snapshotLength = snapshotLength
        self.precision = precision
        let tsPrecision = precision == .nanoseconds ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO
        guard let dead = pcap_open_dead_with_tstamp_precision(linkType.rawValue, Int32(snapshotLength), UInt32(tsPrecision))
        else {
            throw CaptureError(.writeFailed, path: path, message: "libpcap refused link type \(linkType)")
        }
        self.dead = dead
        guard let dumper = pcap_dump_open(dead, path) else {
            let message = String(cString: pcap_geterr(dead))
            // Every stored property is set by now, so deinit runs and closes `dead`.
            throw CaptureError(.writeFailed, path: path, message: message)
        }
        self.dumper = dumper
    }

    deinit {
        if let dumper { pcap_dump_close(dumper) }
        pcap_close(dead)
    }

    /// Appends one packet.
    public func write(_ bytes: some Collection<UInt8>, timestamp: Timestamp, originalLength: Int? = nil) throws(CaptureError) {
        guard let dumper else { throw CaptureError(.writeFailed, path: path, message: "writer already closed") }
        let frame = Array(bytes)
        let captured = min(frame.count, snapshotLength)
        let unit: Int64 = precision == .nanoseconds ? 1 : 1000
        var header = pcap_pkthdr()
        header.ts.tv_sec = Int(timestamp.seconds)
        header.ts.tv_usec = Int(timestamp.subsecondNanoseconds / unit)
        header.caplen = UInt32(captured)
        header.len = UInt32(max(originalLength ?? frame.count, captured))
        frame.withUnsafeBufferPointer { buffer in
            pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), &header, buffer.baseAddress)
        }
    }

    /// Appends a packet read from another capture.
    public func write(_ packet: CapturedPacket) throws(CaptureError) {
        try write(packet.data, timestamp: packet.timestamp, originalLength: packet.originalLength)
    }

    /// Flushes and closes the file. Called by deinit if not before.
    public func close() throws(CaptureError) {
        guard let dumper else { return }
        self.dumper = nil
        let flushed = pcap_dump_flush(dumper)
        pcap_dump_close(dumper)
        if flushed != 0 { throw CaptureError(.writeFailed, path: path, message: "could not flush the file") }
    }
}
