/// The `struct bpf_ct_opts` bytes a lookup or alloc call reads and writes, in place (the VM's
/// memory, or an array's storage). Bytes past `count` read as zero and ignore writes, as the
/// array form of the calls treated a short `opts`.
///
/// Layout (6.18): `s32 netns_id` 0, `s32 error` 4, `u8 l4proto` 8, `u8 dir` 9, `u16 ct_zone_id`
/// 10, `u8 ct_zone_dir` 12, `u8 reserved[3]` 13.
public struct ConntrackOpts {
    public let base: UnsafeMutableRawPointer?
    public let count: Int

    public init(_ bytes: UnsafeMutableRawBufferPointer) {
        base = bytes.baseAddress
        count = bytes.count
    }

    public subscript(_ i: Int) -> UInt8 {
        get { i < count ? base.unsafelyUnwrapped.load(fromByteOffset: i, as: UInt8.self) : 0 }
        nonmutating set { if i < count { base.unsafelyUnwrapped.storeBytes(of: newValue, toByteOffset: i, as: UInt8.self) } }
    }

    /// `netns_id` (0 when the bytes are too few).
    var netns: Int32 {
        count >= 4 ? Int32(littleEndian: base.unsafelyUnwrapped.loadUnaligned(as: Int32.self)) : 0
    }

    /// `error` (0 when the bytes are too few).
    public var error: Int32 {
        count >= 8 ? Int32(littleEndian: base.unsafelyUnwrapped.loadUnaligned(fromByteOffset: 4, as: Int32.self)) : 0
    }

    /// Writes `-errno` into `error` (when there are the bytes for it).
    func setError(_ errno: Int32) {
        guard count >= 8 else { return }
        base.unsafelyUnwrapped.storeBytes(of: (0 &- errno).littleEndian, toByteOffset: 4, as: Int32.self)
    }
}
