import CBPF

#if canImport(Glibc)
import Glibc
#endif

/// The running kernel's BTF (`struct btf *` from libbpf's `btf__load_vmlinux_btf`, freed with
/// `btf__free`).
final class VMLinuxBTF {
    static let path = "/sys/kernel/btf/vmlinux"

    private let btf: OpaquePointer

    /// Loads the kernel's BTF.
    ///
    /// - Throws: `KernelError` (`.btf`) naming `/sys/kernel/btf/vmlinux` when it is absent or
    ///   libbpf cannot parse it.
    init() throws(KernelError) {
        guard access(Self.path, R_OK) == 0 else {
            throw KernelError(.btf, "no \(Self.path) (kernel built without CONFIG_DEBUG_INFO_BTF?)")
        }
        guard let btf = btf__load_vmlinux_btf() else {
            throw KernelError.fromErrno("btf__load_vmlinux_btf", kind: .btf)
        }
        self.btf = btf
    }

    deinit { btf__free(btf) }

    /// Whether the kernel has a function (`BTF_KIND_FUNC`) called `name`
    /// (`btf__find_by_name_kind`).
    func hasFunction(_ name: String) -> Bool {
        let kind: Int = BTF_KIND_FUNC
        return btf__find_by_name_kind(btf, name, UInt32(kind)) > 0
    }
}
