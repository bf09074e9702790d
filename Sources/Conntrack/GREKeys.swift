/// The GRE part of a tuple (`gre_pkt_to_tuple`): keys 0 for version 0 (and anything shorter than
/// the base header), as the generic tracker would; for version 1 (enhanced GRE, PPTP) with
/// protocol PPP (0x880B) the call id as the destination key and, with no PPTP helper keymap, 0 as
/// the source key. Nil for version 1 with another protocol: no tuple, the packet is INVALID.
struct GREKeys {
    var source: UInt16
    var destination: UInt16

    @inline(__always)
    init?(_ p: UnsafeRawPointer, length: Int) {
        source = 0
        destination = 0
        guard length >= 4, p.loadBE16(0) & 0x0007 == 1 else { return }
        guard length >= 8 else { return }
        guard p.loadBE16(2) == 0x880B else { return nil }
        destination = p.loadBE16(6)
    }
}
