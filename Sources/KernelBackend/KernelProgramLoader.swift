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
