/// The TCP tracker (`net/netfilter/nf_conntrack_proto_tcp.c`): the state table in both
/// directions, window tracking (`tcp_in_window`), and the timeout choice.
struct TCPTracker {
    /// Timeouts in jiffies by state index (0...9), then RETRANS (10) and UNACK (11).
    var timeouts: [Int64]
    var loose: Bool
    var beLiberal: Bool
    var ignoreInvalidRST: Bool
    var maxRetrans: Int
    /// Jiffies per second (for the fixed 120 s of `nf_tcp_handle_invalid`).
    var hz: Int64

    static let retransSlot = 10
    static let unackSlot = 11

    init(sysctls s: ConntrackSysctls, hz: Int64) {
        let seconds = [
            0, s.tcpTimeoutSynSent, s.tcpTimeoutSynRecv, s.tcpTimeoutEstablished, s.tcpTimeoutFinWait,
            s.tcpTimeoutCloseWait, s.tcpTimeoutLastAck, s.tcpTimeoutTimeWait, s.tcpTimeoutClose, 120,
            s.tcpTimeoutMaxRetrans, s.tcpTimeoutUnacknowledged,
        ]
        timeouts = seconds.map { Int64($0) * hz }
        loose = s.tcpLoose != 0
        beLiberal = s.tcpBeLiberal != 0
        ignoreInvalidRST = s.tcpIgnoreInvalidRST != 0
        maxRetrans = s.tcpMaxRetrans
        self.hz = hz
    }

    // MARK: The state table

    static let invalidState: UInt8 = 10
    static let ignoreState: UInt8 = 11

    /// `tcp_conntracks[direction][index][state]`, flattened: direction * 60 + index * 10 + state.
    /// 0 NONE 1 SYN_SENT 2 SYN_RECV 3 ESTABLISHED 4 FIN_WAIT 5 CLOSE_WAIT 6 LAST_ACK 7 TIME_WAIT
    /// 8 CLOSE 9 SYN_SENT2, 10 invalid, 11 ignore.
    static let table: [UInt8] = [
        // ORIGINAL
        1, 1, 11, 11, 11, 11, 11, 1, 1, 9,  // SYN
        10, 10, 2, 10, 10, 10, 10, 10, 10, 2,  // SYN+ACK
        10, 10, 4, 4, 6, 6, 6, 7, 8, 10,  // FIN
        3, 10, 3, 3, 5, 5, 7, 7, 8, 10,  // ACK
        10, 8, 8, 8, 8, 8, 8, 8, 8, 8,  // RST
        10, 10, 10, 10, 10, 10, 10, 10, 10, 10,  // none
        // REPLY
        10, 9, 10, 10, 10, 10, 10, 1, 10, 9,  // SYN
        10, 2, 11, 11, 11, 11, 11, 11, 11, 2,  // SYN+ACK
        10, 10, 4, 4, 6, 6, 6, 7, 8, 10,  // FIN
        10, 11, 2, 3, 5, 5, 7, 7, 8, 11,  // ACK
        10, 8, 8, 8, 8, 8, 8, 8, 8, 8,  // RST
        10, 10, 10, 10, 10, 10, 10, 10, 10, 10,  // none
    ]

    @inline(__always)
    static func next(direction: UInt8, index: TCPFlagIndex, state: TCPConntrackState) -> UInt8 {
        table[Int(direction) * 60 + Int(index.rawValue) * 10 + Int(state.rawValue)]
    }

    /// `tcp_valid_flags`: the flag byte without ECE, CWR and PSH must be one of these.
    @inline(__always)
    static func validFlags(_ flags: UInt8) -> Bool {
        switch flags & 0x37 {
        case 0x02, 0x22, 0x12, 0x04, 0x14, 0x11, 0x31, 0x10, 0x30: true
        default: false
        }
    }

    // MARK: A new entry

    /// `tcp_new`: sets up a new entry from its first packet; false if the packet cannot start one.
    func new(_ ct: inout ConntrackEntry, _ seg: TCPSegmentView) -> Bool {
        let state = Self.next(direction: 0, index: seg.index, state: .none)
        if state >= Self.invalidState { return false }
        if state == TCPConntrackState.synSent.rawValue {
            ct.tcp = TCPConntrackInfo()
            ct.tcp.original.end = seg.end
            ct.tcp.original.maxWindow = max(UInt32(seg.window), 1)
            ct.tcp.original.maxEnd = ct.tcp.original.end
            seg.readOptions(into: &ct.tcp.original)
        } else if !loose {
            return false
        } else {
            ct.tcp = TCPConntrackInfo()
            ct.tcp.original.end = seg.end
            ct.tcp.original.maxWindow = max(UInt32(seg.window), 1)
            ct.tcp.original.maxEnd = ct.tcp.original.end &+ ct.tcp.original.maxWindow
            ct.tcp.original.flags = [.sackPermitted, .beLiberal]
            ct.tcp.reply.flags = [.sackPermitted, .beLiberal]
        }
        ct.tcp.lastIndex = .none
        return true
    }

    // MARK: Every packet

    /// `nf_conntrack_tcp_packet` after `tcp_error`/`tcp_new`: the state machine, the window
    /// check and the new timeout (returned through `timeout`, nil when the timer is left alone).
    func packet(
        _ ct: inout ConntrackEntry, _ seg: TCPSegmentView, direction dir: UInt8, now: Int64, changed: inout Bool
    ) -> L4Verdict {
        let index = seg.index
        var oldState = ct.tcp.state
        var newState = Self.next(direction: dir, index: index, state: oldState)
        var skipWindow = false

        stateSwitch: switch newState {
        case TCPConntrackState.synSent.rawValue, Self.ignoreState:
            if newState == TCPConntrackState.synSent.rawValue {
                if oldState.rawValue < TCPConntrackState.timeWait.rawValue { break stateSwitch }
                if (ct.tcp.original.flags.union(ct.tcp.reply.flags)).contains(.closeInit)
                    || (ct.tcp.lastDirection == dir && ct.tcp.lastIndex == .rst)
                {
                    return .repeatLookup
                }
            }
            if index == .synAck, ct.tcp.lastIndex == .syn, ct.tcp.lastDirection != dir,
                seg.acknowledgement == ct.tcp.lastEnd
            {
                // A SYN/ACK answering a SYN we ignored: resynchronise from what we noted.
                oldState = .synSent
                newState = TCPConntrackState.synReceived.rawValue
                let last = ct.tcp.lastDirection
                var side = ct.tcp[side: last]
                side.end = ct.tcp.lastEnd
                side.maxEnd = ct.tcp.lastEnd
                side.maxWindow = ct.tcp.lastWindow == 0 ? 1 : UInt32(ct.tcp.lastWindow)
                side.scale = ct.tcp.lastWindowScale
                ct.tcp.lastFlags.remove(.challengeAck)
                side.flags = ct.tcp.lastFlags
                ct.tcp[side: last] = side
                ct.tcp[side: dir].reset()
                break stateSwitch
            }
            ct.tcp.lastIndex = index
            ct.tcp.lastDirection = dir
            ct.tcp.lastSequence = seg.sequence
            ct.tcp.lastEnd = seg.end
            ct.tcp.lastWindow = seg.window
            if index == .syn, dir == 0 {
                var seen = TCPWindowState()
                ct.tcp.lastFlags = []
                ct.tcp.lastWindowScale = 0
                seg.readOptions(into: &seen)
                if seen.flags.contains(.windowScale) {
                    ct.tcp.lastFlags.insert(.windowScale)
                    ct.tcp.lastWindowScale = seen.scale
                }
                if seen.flags.contains(.sackPermitted) { ct.tcp.lastFlags.insert(.sackPermitted) }
                if oldState == .lastAck { ct.tcp.lastFlags.insert(.challengeAck) }
            }
            if oldState == .synSent, index == .ack, dir == 1 { ct.tcp.lastAck = seg.acknowledgement }
            return .ignore
        case Self.invalidState:
            return .invalid("packet invalid in this state")
        case TCPConntrackState.timeWait.rawValue:
            if oldState == .lastAck, index == .ack, ct.tcp.lastDirection != dir, ct.tcp.lastIndex == .syn,
                ct.tcp.lastFlags.contains(.challengeAck)
            {
                ct.tcp.lastFlags.remove(.challengeAck)
                return .ignore
            }
        case TCPConntrackState.synSent2.rawValue:
            ct.tcp.lastFlags.insert(.simultaneousOpen)
        case TCPConntrackState.synReceived.rawValue:
            if dir == 1, index == .ack, ct.tcp.lastFlags.contains(.simultaneousOpen) {
                newState = TCPConntrackState.established.rawValue
            }
        case TCPConntrackState.close.rawValue:
            guard index == .rst else { break }
            if Self.canEarlyDrop(oldState) {
                skipWindow = true
                break
            }
            let peer = ct.tcp[side: dir ^ 1]
            if peer.flags.contains(.maxAckSet), ct.tcp.lastIndex != .syn {
                let seq = seg.sequence
                let established = oldState == .established && ct.status.contains(.assured)
                if seq == 0, !established { break }
                if before(seq, peer.maxAck), !ignoreInvalidRST { return .invalid("invalid rst") }
                if !established || seq == peer.maxAck { break }
                if ct.tcp.lastIndex == .ack, ct.tcp.lastDirection == dir, seq == ct.tcp.lastEnd { break }
                newState = oldState.rawValue
            }
            if ((ct.status.contains(.seenReply) && ct.tcp.lastIndex == .syn)
                || (!ct.status.contains(.assured) && ct.tcp.lastIndex == .ack))
                && seg.acknowledgement == ct.tcp.lastEnd
            {
                skipWindow = true
                break
            }
            if oldState == .synSent, ct.tcp.lastIndex == .ack, ct.tcp.lastDirection == 1,
                seg.sequence == ct.tcp.lastAck
            {
                skipWindow = true
            }
        default:
            break
        }

        if !skipWindow {
            switch inWindow(&ct.tcp, seg, direction: dir, index: index, state: oldState) {
            case .accept: break
            case .ignore: return .ignore
            case .invalid(let reason):
                handleInvalid(&ct, direction: dir, index: index, now: now)
                return .invalid(reason)
            }
        }

        ct.tcp.lastIndex = index
        ct.tcp.lastDirection = dir
        let state = TCPConntrackState(rawValue: newState)!
        ct.tcp.state = state
        if oldState != state {
            changed = true
            if state == .finWait {
                ct.tcp[side: dir].flags.insert(.closeInit)
            }
        }

        let stateTimeout = timeouts[Int(newState)]
        var timeout: Int64
        if Int(ct.tcp.retransmissions) >= maxRetrans, stateTimeout > timeouts[Self.retransSlot] {
            timeout = timeouts[Self.retransSlot]
        } else if index == .rst {
            timeout = timeouts[Int(TCPConntrackState.close.rawValue)]
        } else if ct.tcp.original.flags.union(ct.tcp.reply.flags).contains(.dataUnacknowledged),
            stateTimeout > timeouts[Self.unackSlot]
        {
            timeout = timeouts[Self.unackSlot]
        } else if ct.tcp.lastWindow == 0, stateTimeout > timeouts[Self.retransSlot] {
            timeout = timeouts[Self.retransSlot]
        } else {
            timeout = stateTimeout
        }

        if !ct.status.contains(.seenReply) {
            if seg.rst { return .kill }
            if index == .syn, oldState == .synSent { return .ignore }  // no refresh on SYN retransmits
            if state == .established, timeout > timeouts[Self.unackSlot] { timeout = timeouts[Self.unackSlot] }
        } else if !ct.status.contains(.assured), oldState == .synReceived || oldState == .established,
            state == .established
        {
            ct.status.insert(.assured)
            changed = true
        }
        if !ct.status.contains(.fixedTimeout) { ct.timeout = now + timeout }
        return .accept
    }

    /// `tcp_can_early_drop`: closing states.
    static func canEarlyDrop(_ state: TCPConntrackState) -> Bool {
        switch state {
        case .finWait, .lastAck, .timeWait, .close, .closeWait: true
        default: false
        }
    }

    /// `nf_tcp_handle_invalid`: an out-of-window FIN/RST answering the peer's FIN/RST shortens an
    /// assured entry's timeout to UNACK.
    func handleInvalid(_ ct: inout ConntrackEntry, direction dir: UInt8, index: TCPFlagIndex, now: Int64) {
        guard ct.status.contains(.assured), !ct.status.contains(.fixedTimeout) else { return }
        guard index == .rst || index == .fin else { return }
        if ct.tcp.lastDirection != dir, ct.tcp.lastIndex == .fin || ct.tcp.lastIndex == .rst {
            let expires = max(ct.timeout - now, 0)
            if expires < 120 * hz { return }
            let unack = timeouts[Self.unackSlot]
            if expires > unack { ct.timeout = now + unack }
        } else {
            ct.tcp.lastIndex = index
            ct.tcp.lastDirection = dir
        }
    }


    // MARK: Window tracking

    enum WindowVerdict {
        case accept
        case ignore
        case invalid(StaticString)
    }

    /// `nf_tcp_log_invalid`: liberal senders (or `nf_conntrack_tcp_be_liberal`) pass anyway.
    @inline(__always)
    func fail(_ sender: TCPWindowState, _ verdict: WindowVerdict) -> WindowVerdict {
        if sender.flags.contains(.beLiberal) || beLiberal { return .accept }
        return verdict
    }

    /// `tcp_init_sender`.
    func initSender(_ info: inout TCPConntrackInfo, _ seg: TCPSegmentView, direction dir: UInt8, end: UInt32, window: UInt32) {
        var sender = info[side: dir]
        var receiver = info[side: dir ^ 1]
        sender.end = end
        sender.maxEnd = end
        sender.maxWindow = window == 0 ? 1 : window
        seg.readOptions(into: &sender)
        if !(sender.flags.contains(.windowScale) && receiver.flags.contains(.windowScale)) {
            sender.scale = 0
            receiver.scale = 0
        }
        info[side: dir] = sender
        info[side: dir ^ 1] = receiver
    }

    /// `tcp_in_window`.
    func inWindow(
        _ info: inout TCPConntrackInfo, _ seg: TCPSegmentView, direction dir: UInt8, index: TCPFlagIndex,
        state: TCPConntrackState
    ) -> WindowVerdict {
        var seq = seg.sequence
        var ack = seg.acknowledgement
        var sack = ack
        let winRaw = seg.window
        var win = UInt32(winRaw)
        var end = seg.end

        if info[side: dir ^ 1].flags.contains(.sackPermitted) { sack = seg.highestSACK(above: sack) }

        if info[side: dir].maxWindow == 0 {
            if seg.syn {
                initSender(&info, seg, direction: dir, end: end, window: win)
                if !seg.ack { return .accept }  // simultaneous open
            } else {
                var sender = info[side: dir]
                var receiver = info[side: dir ^ 1]
                sender.end = end
                let swin = win << UInt32(sender.scale)
                sender.maxWindow = swin == 0 ? 1 : swin
                sender.maxEnd = end &+ sender.maxWindow
                if receiver.maxWindow == 0 {
                    receiver.end = sack
                    receiver.maxEnd = sack
                } else if sack == receiver.end &+ 1 {
                    receiver.end &+= 1
                }
                info[side: dir] = sender
                info[side: dir ^ 1] = receiver
            }
        } else if seg.syn, after(end, info[side: dir].end), state == .synSent || state == .synReceived {
            initSender(&info, seg, direction: dir, end: end, window: win)
            if dir == 1, !seg.ack { return .accept }
        }

        var sender = info[side: dir]
        var receiver = info[side: dir ^ 1]

        if !seg.ack {
            ack = receiver.end
            sack = receiver.end
        } else if seg.flags & 0x14 == 0x14, ack == 0 {
            ack = receiver.end
            sack = receiver.end
        }

        if seg.rst, seq == 0, state == .synSent {
            seq = sender.end
            end = sender.end
        }

        let maxAckWindow = max(sender.maxWindow, 66_000)
        let seqOK = before(seq, sender.maxEnd &+ 1)
        if !seqOK {
            let overshot = end &- sender.maxEnd &+ 1
            let ackOK = after(sack, receiver.end &- maxAckWindow &- 1)
            let inReceiveWindow = receiver.maxWindow != 0 && after(end, sender.end &- receiver.maxWindow &- 1)
            if inReceiveWindow, ackOK, overshot <= receiver.maxWindow, before(sack, receiver.end &+ 1) {
                sender.end = end
                sender.flags.insert(.dataUnacknowledged)
                info[side: dir] = sender
                return fail(sender, .ignore)
            }
            return fail(sender, .invalid("SEQ is over upper bound (over the window of the receiver)"))
        }
        if !before(sack, receiver.end &+ 1) {
            return fail(sender, .invalid("ACK is over upper bound (ACKed data not seen yet)"))
        }
        // II: the end of the segment is in the receive window; IV: the ACK is not too old.
        let inReceiveWindow = receiver.maxWindow == 0 || after(end, sender.end &- receiver.maxWindow &- 1)
        if !inReceiveWindow { return fail(sender, .ignore) }
        if !after(sack, receiver.end &- maxAckWindow &- 1) { return fail(sender, .ignore) }

        if !seg.syn { win <<= UInt32(sender.scale) }

        let swin = win &+ (sack &- ack)
        if sender.maxWindow < swin { sender.maxWindow = swin }
        if after(end, sender.end) {
            sender.end = end
            sender.flags.insert(.dataUnacknowledged)
        }
        if seg.ack {
            if !sender.flags.contains(.maxAckSet) {
                sender.maxAck = ack
                sender.flags.insert(.maxAckSet)
            } else if after(ack, sender.maxAck) {
                sender.maxAck = ack
            }
        }

        if receiver.maxWindow != 0, after(end, sender.maxEnd) { receiver.maxWindow &+= end &- sender.maxEnd }
        if after(sack &+ win, receiver.maxEnd &- 1) {
            receiver.maxEnd = sack &+ win
            if win == 0 { receiver.maxEnd &+= 1 }
        }
        if ack == receiver.end { receiver.flags.remove(.dataUnacknowledged) }
        info[side: dir] = sender
        info[side: dir ^ 1] = receiver

        if index == .ack {
            if info.lastDirection == dir, info.lastSequence == seq, info.lastAck == ack, info.lastEnd == end,
                info.lastWindow == winRaw
            {
                info.retransmissions &+= 1
            } else {
                info.lastDirection = dir
                info.lastSequence = seq
                info.lastAck = ack
                info.lastEnd = end
                info.lastWindow = winRaw
                info.retransmissions = 0
            }
        }
        return .accept
    }
}
