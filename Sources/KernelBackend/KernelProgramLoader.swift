import CBPF
#if canImport(Glibc)
import Glibc
#endif

/// Loads one program of a BPF object with a verifier log, growing the log buffer when the kernel
/// says it was too small. Call it from a thread inside the namespace the program is for.
public enum KernelProgramLoader {
    /// The largest log buffer tried (the kernel's own limit is UINT_MAX >> 2).
    public static let maximumLogSize = 1 << 30

    /// Opens `path`, loads `program` (the only one when nil) at `logLevel` and returns the object
    /// (loaded when accepted) with the verifier's answer.
    ///
    /// - Parameter prepare: called on the freshly opened object before the load (set a program
    ///   type, `.rodata` values...); called again when the load is retried.
    /// - Throws: `KernelError(.program)` when the file cannot be opened or has no such program.
    public static func load(
        path: String, program: String?, logLevel: UInt32 = 1,
        prepare: (KernelBPFObject, KernelBPFObject.Program) throws -> Void = { _, _ in }
    ) throws -> (object: KernelBPFObject, verification: KernelVerification) {
        var size = logLevel & 2 != 0 ? 16 << 20 : 1 << 20
        while true {
            let object = try KernelBPFObject(path: path)
            let chosen = try object.program(named: program)
            try prepare(object, chosen)
            let verification = try object.load(program: chosen.name, logLevel: logLevel, logSize: size)
            if verification.logTruncated, size < maximumLogSize {
                size *= 4
                continue
            }
            return (object, verification)
        }
    }

    /// Verifies every program of the object (each loaded alone, in a fresh object), or only
    /// `program`.
    public static func verify(path: String, program: String? = nil, logLevel: UInt32 = 1) throws -> [KernelVerification] {
        let names: [String]
        if let program {
            names = [program]
        } else {
            names = try KernelBPFObject(path: path).programs.map(\.name)
            if names.isEmpty { throw KernelError(.program, "\(path): the object has no programs") }
        }
        return try names.map { try load(path: path, program: $0, logLevel: logLevel).verification }
    }
}

extension KernelProgramLoader {
    /// The kernel verifier's verdict on raw instruction slots (8 little-endian bytes each) loaded
    /// as one `type` program with `bpf_prog_load`: no ELF, no maps, no BTF, so hand-written or
    /// hostile bytecode meets the real verifier as it is. An accepted program is closed at once.
    ///
    /// - Throws: `KernelError(.program)` when `slots` is empty or not a whole number of slots.
    public static func verify(
        slots: [UInt8], type: KernelProgramType = .xdp, name: String = "raw", logLevel: UInt32 = 1
    ) throws(KernelError) -> KernelVerification {
        guard !slots.isEmpty, slots.count % 8 == 0 else {
            throw KernelError(.program, "\(slots.count) bytes are not a whole number of 8-byte instructions")
        }
        var size = 1 << 20
        while true {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            buffer.initialize(repeating: 0, count: size)
            var options = bpf_prog_load_opts()
            options.sz = MemoryLayout<bpf_prog_load_opts>.size
            options.log_level = max(logLevel, 1)
            options.log_size = UInt32(size)
            options.log_buf = buffer
            let fd = slots.withUnsafeBytes { raw in
                bpf_prog_load(
                    type.cValue, name, "GPL", raw.baseAddress!.assumingMemoryBound(to: bpf_insn.self), slots.count / 8,
                    &options)
            }
            let log = String(cString: buffer)
            if fd >= 0 {
                close(fd)
                return KernelVerification(
                    program: name, type: type.name, accepted: true, error: nil,
                    processedInstructions: VerifierLog.processedInstructions(log), log: log)
            }
            let code = -fd
            if code == 28, size < maximumLogSize {
                size *= 4
                continue
            }
            return KernelVerification(
                program: name, type: type.name, accepted: false,
                error: VerifierLog.errorLine(log) ?? "load failed: \(KernelError.errnoDescription(code))",
                processedInstructions: VerifierLog.processedInstructions(log), log: log, errno: code)
        }
    }
}
