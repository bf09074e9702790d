import Packets

/// The SCTP tracker (`nf_conntrack_proto_sctp.c` of Linux 6.18): the chunk checks, the state
/// table over chunk types in each direction, the verification-tag rules of RFC 9260 section 8.5,
/// CRC32c validation and the per-state timeouts.
struct SCTPTracker {
    /// Timeouts in jiffies indexed by state (`NONE` uses the CLOSED timeout, as the kernel's
    /// `timeouts[0]` does).
    let timeouts: [Int64]
    let checksums: Bool

    init(sysctls: ConntrackSysctls, hz: Int64) {
        let seconds = [
            sysctls.sctpTimeoutClosed, sysctls.sctpTimeoutClosed, sysctls.sctpTimeoutCookieWait,
            sysctls.sctpTimeoutCookieEchoed, sysctls.sctpTimeoutEstablished, sysctls.sctpTimeoutShutdownSent,
            sysctls.sctpTimeoutShutdownRecd, sysctls.sctpTimeoutShutdownAckSent, sysctls.sctpTimeoutHeartbeatSent,
        ]
        timeouts = seconds.map { Int64($0) * hz }
        checksums = sysctls.checksum != 0
    }

    // Chunk types (RFC 9260 section 3.2).
    static let data: UInt8 = 0
    static let initChunk: UInt8 = 1
    static let initAck: UInt8 = 2
    static let heartbeat: UInt8 = 4
    static let heartbeatAck: UInt8 = 5
    static let abort: UInt8 = 6
    static let shutdown: UInt8 = 7
    static let shutdownAck: UInt8 = 8
    static let error: UInt8 = 9
    static let cookieEcho: UInt8 = 10
    static let cookieAck: UInt8 = 11
    static let shutdownComplete: UInt8 = 14
    /// The T bit of ABORT and SHUTDOWN_COMPLETE.
    static let flagT: UInt8 = 0x01

    /// `sIV`: the chunk is not allowed in this state and direction.
    static let invalidState: UInt8 = 9

    /// `sctp_conntracks[dir][chunk row][state]`: rows INIT, INIT_ACK, ABORT, SHUTDOWN,
    /// SHUTDOWN_ACK, ERROR, COOKIE_ECHO, COOKIE_ACK, SHUTDOWN_COMPLETE, HEARTBEAT, HEARTBEAT_ACK;
    /// columns NONE, CLOSED, COOKIE_WAIT, COOKIE_ECHOED, ESTABLISHED, SHUTDOWN_SENT,
    /// SHUTDOWN_RECD, SHUTDOWN_ACK_SENT, HEARTBEAT_SENT.
    static let table: [UInt8] = {
        let (no, cl, cw, ce, es, ss, sr, sa, hs, iv): (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
        _ = no
        let original: [[UInt8]] = [
            [cl, cl, cw, ce, es, cl, cl, sa, cw],  // INIT
            [cl, cl, cw, ce, es, ss, sr, sa, cl],  // INIT_ACK
            [cl, cl, cl, cl, cl, cl, cl, cl, cl],  // ABORT
            [cl, cl, cw, ce, ss, ss, sr, sa, cl],  // SHUTDOWN
            [sa, cl, cw, ce, es, sa, sa, sa, sa],  // SHUTDOWN_ACK
            [cl, cl, cw, ce, es, ss, sr, sa, cl],  // ERROR
            [cl, cl, ce, ce, es, ss, sr, sa, cl],  // COOKIE_ECHO
            [cl, cl, cw, es, es, ss, sr, sa, cl],  // COOKIE_ACK
            [cl, cl, cw, ce, es, ss, sr, cl, cl],  // SHUTDOWN_COMPLETE
            [hs, cl, cw, ce, es, ss, sr, sa, hs],  // HEARTBEAT
            [cl, cl, cw, ce, es, ss, sr, sa, hs],  // HEARTBEAT_ACK
        ]
        let reply: [[UInt8]] = [
            [iv, cl, cw, ce, es, ss, sr, sa, iv],  // INIT
            [iv, cw, cw, ce, es, ss, sr, sa, iv],  // INIT_ACK
            [iv, cl, cl, cl, cl, cl, cl, cl, iv],  // ABORT
            [iv, cl, cw, ce, sr, ss, sr, sa, iv],  // SHUTDOWN
            [iv, cl, cw, ce, es, sa, sa, sa, iv],  // SHUTDOWN_ACK
            [iv, cl, cw, cl, es, ss, sr, sa, iv],  // ERROR
            [iv, cl, ce, ce, es, ss, sr, sa, iv],  // COOKIE_ECHO
            [iv, cl, cw, es, es, ss, sr, sa, iv],  // COOKIE_ACK
            [iv, cl, cw, ce, es, ss, sr, cl, iv],  // SHUTDOWN_COMPLETE
            [iv, cl, cw, ce, es, ss, sr, sa, hs],  // HEARTBEAT
            [iv, cl, cw, ce, es, ss, sr, sa, es],  // HEARTBEAT_ACK
        ]
        return (original + reply).flatMap { $0 }
    }()

    /// `sctp_new_state`: the state after a chunk of `type` in `direction` (`invalidState` for
    /// sIV); chunk types outside the table (DATA, SACK, ...) keep the state.
    static func next(_ direction: UInt8, _ state: SCTPConntrackState, _ type: UInt8) -> UInt8 {
        let row: Int
        switch type {
        case initChunk: row = 0
        case initAck: row = 1
        case abort: row = 2
        case shutdown: row = 3
        case shutdownAck: row = 4
        case error: row = 5
        case cookieEcho: row = 6
        case cookieAck: row = 7
        case shutdownComplete: row = 8
        case heartbeat: row = 9
        case heartbeatAck: row = 10
        default: return state.rawValue
        }
        return table[(Int(direction) * 11 + row) * 9 + Int(state.rawValue)]
    }

    /// The chunk types present, as a 256-bit map (`do_basic_checks`' `map`).
    struct ChunkMap {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

        mutating func insert(_ type: UInt8) {
            let bit = UInt64(1) << UInt64(type & 63)
            switch type >> 6 {
            case 0: words.0 |= bit
            case 1: words.1 |= bit
            case 2: words.2 |= bit
            default: words.3 |= bit
            }
        }

        func contains(_ type: UInt8) -> Bool {
            let bit = UInt64(1) << UInt64(type & 63)
            switch type >> 6 {
            case 0: return words.0 & bit != 0
            case 1: return words.1 & bit != 0
            case 2: return words.2 & bit != 0
            default: return words.3 & bit != 0
            }
        }
    }

    /// Walks the chunks as `for_each_sctp_chunk` does: from byte 12 of the SCTP packet while the
    /// offset is inside the packet and a 4-byte chunk header fits, stepping by the padded length.
    @inline(__always)
    static func forEachChunk(_ p: UnsafeRawPointer, length: Int, _ body: (_ offset: Int, _ type: UInt8, _ flags: UInt8, _ chunkLength: Int) -> Bool) {
        var offset = 12
        while offset < length, offset + 4 <= length {
            let chunkLength = Int(p.loadBE16(offset + 2))
            guard body(offset, p.load(fromByteOffset: offset, as: UInt8.self), p.load(fromByteOffset: offset + 1, as: UInt8.self), chunkLength)
            else { return }
            offset += (chunkLength + 3) & ~3
        }
    }

    /// `do_basic_checks`: COOKIE_ECHO/COOKIE_ACK only first, INIT/INIT_ACK/SHUTDOWN_COMPLETE only
    /// alone, no zero-length chunk, at least one chunk. Nil when the checks fail.
    static func basicChecks(_ p: UnsafeRawPointer, length: Int) -> ChunkMap? {
        var map = ChunkMap()
        var count = 0
        var alone = false
        var failed = false
        forEachChunk(p, length: length) { _, type, _, chunkLength in
            if type == initChunk || type == initAck || type == shutdownComplete { alone = true }
            if ((type == cookieAck || type == cookieEcho || alone) && count != 0) || chunkLength == 0 {
                failed = true
                return false
            }
            map.insert(type)
            count += 1
            return true
        }
        return failed || count == 0 ? nil : map
    }

    /// `nf_conntrack_sctp_packet` (with `sctp_error` and, for a new entry, `sctp_new`). `p` is the
    /// SCTP common header, `length` the bytes from it to the end of the IP packet.
    func packet(
        _ ct: inout ConntrackEntry, _ p: UnsafeRawPointer, length: Int, direction dir: UInt8, isNew: Bool,
        now: Int64, changed: inout Bool
    ) -> L4Verdict {
        typealias T = SCTPTracker
        // sctp_error
        guard length >= 12 else { return .invalid("nf_ct_sctp: short packet") }
        if checksums {
            let stored = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            guard stored == CRC32c.sctp(p, count: length) else { return .invalid("nf_ct_sctp: bad CRC") }
        }
        guard let map = T.basicChecks(p, length: length) else { return .invalid("sctp: basic checks failed") }
        let vtag = p.loadBE32(4)
        // Work on a copy and write it back on every way out: like the kernel, a packet found
        // invalid at its second chunk keeps what its first chunk changed.
        var info = ct.sctp
        defer { ct.sctp = info }

        if isNew {
            // Sec 8.4: an out-of-the-blue ABORT, SHUTDOWN_COMPLETE or COOKIE_ACK creates nothing.
            if map.contains(T.abort) || map.contains(T.shutdownComplete) || map.contains(T.cookieAck) {
                return .invalid("sctp: OOTB chunk")
            }
            // sctp_new
            info = SCTPConntrackInfo()
            var ok = true
            T.forEachChunk(p, length: length) { offset, type, _, _ in
                let state = T.next(0, .none, type)
                if state == SCTPConntrackState.none.rawValue || state == T.invalidState {
                    ok = false
                    return false
                }
                if type == T.initChunk {
                    guard vtag == 0, offset + 4 + 16 <= length else {
                        ok = false
                        return false
                    }
                    info.replyTag = p.loadBE32(offset + 4)
                } else if type == T.heartbeat {
                    info.originalTag = vtag
                } else {
                    info.replyTag = vtag
                }
                info.state = .none
                return true
            }
            if !ok { return .invalid("nf_conntrack_sctp: invalid new") }
        }

        // Sec 8.5: the verification tag, unless a chunk with its own rule is present.
        if !map.contains(T.initChunk), !map.contains(T.shutdownComplete), !map.contains(T.cookieEcho),
            !map.contains(T.abort), !map.contains(T.shutdownAck), !map.contains(T.heartbeat),
            !map.contains(T.heartbeatAck), vtag != info[tag: dir]
        {
            return .invalid("sctp: verification tag check failed")
        }

        let other: UInt8 = dir ^ 1
        var newState = SCTPConntrackState.none
        var ignore = false
        var failure: StaticString? = nil
        T.forEachChunk(p, length: length) { offset, type, flags, _ in
            switch type {
            case T.initChunk:
                if vtag != 0 {
                    failure = "sctp: INIT with a verification tag"
                    return false
                }
            case T.abort, T.shutdownComplete:
                let wanted = flags & T.flagT == 0 ? info[tag: dir] : info[tag: other]
                if vtag != wanted {
                    failure = "sctp: ABORT/SHUTDOWN_COMPLETE verification tag"
                    return false
                }
            case T.cookieEcho:
                if vtag != info[tag: dir] {
                    failure = "sctp: COOKIE_ECHO verification tag"
                    return false
                }
            case T.cookieAck:
                info.originalInit = false
                info.replyInit = false
            case T.heartbeat:
                if info[tag: dir] == 0 {
                    info[tag: dir] = vtag
                } else if vtag != info[tag: dir] {
                    if map.contains(T.data) || ignore {
                        failure = "sctp: HEARTBEAT verification tag"
                        return false
                    }
                    info.heartbeatTagFailed = true
                    info.lastDirection = dir
                    ignore = true
                    return true
                } else if info.heartbeatTagFailed {
                    info.heartbeatTagFailed = false
                }
            case T.heartbeatAck:
                if info[tag: dir] == 0 {
                    info[tag: dir] = vtag
                } else if vtag != info[tag: dir] {
                    if map.contains(T.data) || ignore || !info.heartbeatTagFailed || info.lastDirection == dir {
                        failure = "sctp: HEARTBEAT_ACK verification tag"
                        return false
                    }
                    info.heartbeatTagFailed = false
                    info[tag: dir] = vtag
                    info[tag: other] = 0
                } else if info.heartbeatTagFailed {
                    info.heartbeatTagFailed = false
                }
            default:
                break
            }

            let oldState = info.state
            let next = T.next(dir, oldState, type)
            if next == T.invalidState {
                failure = "nf_conntrack_sctp: invalid chunk in this state"
                return false
            }
            let state = SCTPConntrackState(rawValue: next)!
            newState = state

            if type == T.initChunk {
                guard offset + 4 + 16 <= length else {
                    failure = "sctp: truncated INIT"
                    return false
                }
                if info[initSeen: dir], info[initSeen: other] { info[initSeen: other] = false }
                info[initSeen: dir] = true
                info[tag: other] = p.loadBE32(offset + 4)
                // An INIT retransmitted in CLOSED does not renew the timeout.
                if state == .closed, oldState == .closed, !isNew { ignore = true }
            } else if type == T.initAck {
                guard offset + 4 + 16 <= length else {
                    failure = "sctp: truncated INIT_ACK"
                    return false
                }
                let initTag = p.loadBE32(offset + 4)
                let tag = info[tag: other]
                if !info[initSeen: other], tag != 0, tag != initTag {
                    failure = "sctp: INIT_ACK tag mismatch"
                    return false
                }
                if info[initSeen: dir], info[initSeen: other], tag != initTag {
                    failure = "sctp: INIT collision"
                    return false
                }
                info[tag: other] = initTag
            }

            info.state = state
            if oldState != state {
                changed = true
                if state == .established, !ct.status.contains(.assured) { ct.status.insert(.assured) }
            }
            return true
        }
        if let failure { return .invalid(failure) }
        if ignore { return .ignore }
        if !ct.status.contains(.fixedTimeout) { ct.timeout = now + timeouts[Int(newState.rawValue)] }
        return .accept
    }
}
