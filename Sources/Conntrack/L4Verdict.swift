/// What a protocol tracker says about a packet (the sign of the kernel's `nf_conntrack_handle_packet`).
enum L4Verdict: Equatable {
    /// Accepted; the entry was updated.
    case accept
    /// Accepted without `nf_ct_refresh_acct`: the timer and the counters are left alone (TCP
    /// packets the state machine or the window check ignores, SYN retransmits before a reply,
    /// SCTP INIT retransmits in CLOSED).
    case ignore
    /// Not part of the connection: the packet is INVALID, the entry keeps its state (a new entry
    /// is not created).
    case invalid(StaticString)
    /// Accepted, but the entry is deleted at once (TCP: the only reply was a RST).
    case kill
    /// The entry must be deleted and the packet looked up again (TCP reopening from
    /// TIME_WAIT/CLOSE: `-NF_REPEAT`).
    case repeatLookup

    static func == (a: L4Verdict, b: L4Verdict) -> Bool {
        switch (a, b) {
        case (.accept, .accept), (.ignore, .ignore), (.kill, .kill), (.repeatLookup, .repeatLookup), (.invalid, .invalid): true
        default: false
        }
    }
}
