import BPFObject

/// Which helpers a program type may call on 6.18 (`xdp_func_proto`, `tc_cls_act_func_proto`
/// and the base set they fall back to), read off the live kernel: a call to any other id below
/// `maximumID` is "program of this type cannot use helper". `HelperAvailabilityTests` asks the
/// kernel again for every id.
public enum HelperAvailability {
    /// `__BPF_FUNC_MAX_ID`: ids from here on are "invalid func unknown#N".
    public static let maximumID: Int32 = 212

    static let xdp: Set<Int32> = [
        1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 23, 25, 28, 35, 37, 42, 44, 51, 54, 55, 65, 69, 80, 84, 85, 86, 87, 88, 89, 93,
        94, 99, 100, 105, 106, 109, 110, 112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134, 136, 137, 138, 139,
        140, 141, 148, 149, 153, 154, 156, 157, 158, 160, 163, 164, 165, 169, 170, 171, 172, 175, 176, 177, 178, 180, 181, 182, 188,
        189, 190, 191, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211,
    ]

    static let schedCls: Set<Int32> = [
        1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 28, 29, 30, 31, 32, 33, 34, 35,
        37, 38, 39, 40, 41, 42, 43, 46, 47, 48, 50, 55, 66, 68, 69, 79, 80, 83, 84, 85, 86, 87, 88, 89, 93, 94, 95, 96, 97, 98, 99,
        100, 105, 106, 107, 108, 109, 110, 112, 113, 114, 115, 117, 118, 120, 122, 123, 124, 125, 130, 131, 132, 133, 134, 135, 136,
        137, 138, 139, 140, 141, 148, 149, 151, 152, 153, 154, 155, 156, 157, 158, 160, 163, 164, 165, 169, 170, 171, 172, 175, 176,
        177, 178, 180, 181, 182, 191, 192, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211,
    ]

    /// Whether `type` may call helper `id`; nil for a program type without a table here.
    public static func allows(_ id: Int32, in type: ProgramType) -> Bool? {
        switch type {
        case .xdp: xdp.contains(id)
        case .schedCLS, .schedACT: schedCls.contains(id)
        default: nil
        }
    }

    /// Whether the simulator models helper `id` (its arguments are checked and the VM runs it);
    /// a call to another allowed helper is accepted with its arguments unchecked.
    public static func isModelled(_ id: Int32) -> Bool { HelperPrototype.prototype(id) != nil }

    /// The kernel's name for `id` in its messages (`func_id_name`): `bpf_unspec` for 0.
    public static func name(_ id: Int32) -> String {
        id == 0 ? "bpf_unspec" : HelperNames.name(id) ?? "unknown"
    }
}
