/// The objects programs hold references to, by conntrack table index: a plain array indexed by
/// the table index (grown on demand), so the lookup, insert and release of every call hash
/// nothing. Reads past the end give nil.
struct ReferencedObjects {
    private var slots: [ConntrackObject?] = []

    subscript(index: Int) -> ConntrackObject? {
        get { index < slots.count ? slots[index] : nil }
        set {
            if index >= slots.count {
                guard newValue != nil else { return }
                slots += repeatElement(nil, count: max(index + 1, slots.count * 2) - slots.count)
            }
            slots[index] = newValue
        }
    }
}
