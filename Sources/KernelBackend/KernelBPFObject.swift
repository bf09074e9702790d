import CBPF

#if canImport(Glibc)
import Glibc
#endif

/// A BPF ELF object opened with libbpf (`struct bpf_object *` from `bpf_object__open_file`,
/// closed with `bpf_object__close`), loaded into the running kernel at most once.
///
/// Loading, test runs and the conntrack kfuncs act on the network namespace of the calling
/// thread, so use an object from inside `NetworkNamespace.run` (all calls on that one thread).
/// Programs and maps are file descriptors and nothing is pinned: closing the object (or the
/// process ending) frees everything in the kernel.
public final class KernelBPFObject {
    /// One program of the object.
    public struct Program: Sendable, Equatable {
        /// The function name (`bpf_program__name`).
        public var name: String
        /// The ELF section (`bpf_program__section_name`), e.g. `xdp`, `tc`.
        public var section: String
        /// The program type libbpf gave it from the section name.
        public var type: KernelProgramType
    }

    public let path: String
    private let object: OpaquePointer
    private var logBuffers: [UnsafeMutablePointer<CChar>] = []
    /// Whether `load` has run (libbpf allows one attempt per object).
    public private(set) var loadAttempted = false

    /// Opens `path` (`bpf_object__open_file`): ELF, BTF and sections are parsed, nothing reaches
    /// the kernel yet.
    ///
    /// - Throws: `KernelError(.program)` naming the file when libbpf cannot open it.
    public init(path: String) throws(KernelError) {
        LibbpfMessages.install()
        _ = LibbpfMessages.take()
        guard access(path, R_OK) == 0 else {
            throw KernelError(.program, "\(path): \(KernelError.errnoDescription(errno))", errno: errno)
        }
        guard let object = bpf_object__open_file(path, nil) else {
            let code = errno
            let said = LibbpfMessages.take().last.map { " (libbpf: \($0))" } ?? ""
            throw KernelError(.program, "\(path): not a BPF object libbpf can open: \(KernelError.errnoDescription(code))\(said)", errno: code)
        }
        self.path = path
        self.object = object
    }

    deinit {
        bpf_object__close(object)
        for buffer in logBuffers { buffer.deallocate() }
    }

    /// The programs in section order.
    public var programs: [Program] {
        var result: [Program] = []
        var program = bpf_object__next_program(object, nil)
        while let current = program {
            result.append(
                Program(
                    name: String(cString: bpf_program__name(current)),
                    section: String(cString: bpf_program__section_name(current)),
                    type: KernelProgramType(bpf_program__type(current))))
            program = bpf_object__next_program(object, current)
        }
        return result
    }

    func handle(of name: String) throws(KernelError) -> OpaquePointer {
        guard let program = bpf_object__find_program_by_name(object, name) else {
            let known = programs.map(\.name).joined(separator: ", ")
            throw KernelError(.program, "\(path): no program named '\(name)' (programs: \(known.isEmpty ? "none" : known))")
        }
        return program
    }

    /// Picks the program called `name`, or the only one when `name` is nil.
    ///
    /// - Throws: `KernelError(.program)` for an unknown name, or when there are several programs
    ///   and no name.
    public func program(named name: String?) throws(KernelError) -> Program {
        let all = programs
        if let name {
            guard let found = all.first(where: { $0.name == name }) else {
                _ = try handle(of: name)
                throw KernelError(.program, "\(path): no program named '\(name)'")
            }
            return found
        }
        guard all.count == 1 else {
            throw KernelError(
                .program,
                all.isEmpty
                    ? "\(path): the object has no programs"
                    : "\(path): \(all.count) programs (\(all.map(\.name).joined(separator: ", "))); choose one with --program")
        }
        return all[0]
    }

    /// Overrides a program's type before load (`bpf_program__set_type`).
    public func setType(_ type: KernelProgramType, of name: String) throws(KernelError) {
        let program = try handle(of: name)
        guard bpf_program__set_type(.init(program), type.cValue) == 0 else {
            throw KernelError.fromErrno("bpf_program__set_type \(name)", kind: .program)
        }
    }

    /// Replaces the initial image of the `.rodata` (or other internal) map whose name ends with
    /// `section` before load (`bpf_map__set_initial_value`): how `const volatile` settings are set.
    public func setInitialValue(of section: String, _ bytes: [UInt8]) throws(KernelError) {
        guard let map = internalMap(section) else { throw KernelError(.program, "\(path): no \(section) map") }
        let rc = bytes.withUnsafeBytes { bpf_map__set_initial_value(map, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw KernelError(.program, "bpf_map__set_initial_value \(section): \(KernelError.errnoDescription(-rc))", errno: -rc) }
    }

    /// The initial image of an internal map before load (`bpf_map__initial_value`).
    public func initialValue(of section: String) -> [UInt8]? {
        guard let map = internalMap(section) else { return nil }
        var size = 0
        guard let raw = bpf_map__initial_value(map, &size) else { return nil }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }

    func internalMap(_ section: String) -> OpaquePointer? {
        var map = bpf_object__next_map(object, nil)
        while let current = map {
            if bpf_map__is_internal(current), String(cString: bpf_map__name(current)).hasSuffix(section) { return current }
            map = bpf_object__next_map(object, current)
        }
        return nil
    }

    /// Loads `program` (only it: the others are not loaded) into the kernel with a verifier log
    /// buffer at `logLevel` (1, 2, or with 4 for statistics), and reports the verifier's answer.
    ///
    /// A rejection is an answer, not an error. A log that did not fit its buffer makes the load
    /// fail with ENOSPC (`KernelVerification.logTruncated`); `KernelProgramLoader` then retries
    /// with a larger buffer on a fresh object, since a load can be attempted only once.
    ///
    /// - Parameter logSize: the log buffer's size in bytes; by default 1 MiB, 16 MiB at level 2.
    /// - Throws: `KernelError(.program)` when the object was loaded before, or for an unknown name.
    public func load(program name: String, logLevel: UInt32 = 1, logSize: Int? = nil) throws(KernelError) -> KernelVerification {
        guard !loadAttempted else { throw KernelError(.program, "\(path): an object can be loaded only once") }
        loadAttempted = true
        let target = try handle(of: name)
        let info = try program(named: name)
        var program = bpf_object__next_program(object, nil)
        while let current = program {
            _ = bpf_program__set_autoload(current, current == target)
            program = bpf_object__next_program(object, current)
        }
        let size = max(logSize ?? (logLevel & 2 != 0 ? 16 << 20 : 1 << 20), 4096)
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
        buffer.initialize(repeating: 0, count: size)
        logBuffers.append(buffer)
        _ = bpf_program__set_log_buf(.init(target), buffer, size)
        _ = bpf_program__set_log_level(.init(target), max(logLevel, 1))
        _ = LibbpfMessages.take()
        let rc = bpf_object__load(object)
        let messages = LibbpfMessages.take()
        let log = String(cString: buffer)
        if rc == 0 {
            return KernelVerification(
                program: name, type: info.type.name, accepted: true, error: nil,
                processedInstructions: VerifierLog.processedInstructions(log), log: log, libbpfMessages: messages)
        }
        let code = -rc
        let error =
            VerifierLog.errorLine(log)
            ?? messages.last(where: { !$0.contains("failed to load object") }) ?? "load failed: \(KernelError.errnoDescription(code))"
        return KernelVerification(
            program: name, type: info.type.name, accepted: false, error: error,
            processedInstructions: VerifierLog.processedInstructions(log), log: log, errno: code, libbpfMessages: messages)
    }

    /// A loaded program, for test runs.
    ///
    /// - Throws: `KernelError(.program)` when it was not loaded.
    public func loadedProgram(_ name: String) throws(KernelError) -> KernelProgram {
        let program = try handle(of: name)
        let fd = bpf_program__fd(.init(program))
        guard fd >= 0 else { throw KernelError(.program, "program \(name) is not loaded") }
        return KernelProgram(name: name, type: KernelProgramType(bpf_program__type(.init(program))), fd: fd, owner: self)
    }

    /// Every variable of the `.bss`, `.data` and `.rodata` sections (and their `.NAME`
    /// variants), read from the kernel's maps after a load (`bpf_map__lookup_elem` on key 0) and
    /// decoded through the object's BTF by name, in section then offset order.
    ///
    /// - Throws: `KernelError(.program)` when a map cannot be read.
    public func globals() throws(KernelError) -> [KernelGlobal] {
        guard let btf = bpf_object__btf(object) else { return [] }
        let decoder = BTFValueDecoder(btf: btf)
        var result: [KernelGlobal] = []
        var map = bpf_object__next_map(object, nil)
        while let current = map {
            defer { map = bpf_object__next_map(object, current) }
            guard bpf_map__is_internal(current) else { continue }
            let datasecID = bpf_map__btf_value_type_id(current)
            guard datasecID != 0, let datasec = btf__type_by_id(btf, datasecID) else { continue }
            let section = String(cString: btf__name_by_offset(btf, datasec.pointee.name_off))
            guard [".bss", ".data", ".rodata"].contains(where: { section == $0 || section.hasPrefix($0 + ".") }) else {
                continue
            }
            let valueSize = Int(bpf_map__value_size(current))
            var bytes = [UInt8](repeating: 0, count: valueSize)
            var key: UInt32 = 0
            let rc = bytes.withUnsafeMutableBytes { value in
                bpf_map__lookup_elem(current, &key, 4, value.baseAddress, valueSize, 0)
            }
            guard rc == 0 else {
                throw KernelError(
                    .program, "bpf_map__lookup_elem \(String(cString: bpf_map__name(current))): \(KernelError.errnoDescription(-rc))",
                    errno: -rc)
            }
            result += decoder.variables(ofDatasec: datasecID, section: section, bytes: bytes)
        }
        return result
    }
}
