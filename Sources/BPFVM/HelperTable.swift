/// What a helper or kfunc call sees: the machine, the argument registers and where it was called.
public struct HelperCall {
    /// The machine, for memory, maps, the clock and the trace. Not retained: a call lives only
    /// while the machine that makes it runs the helper (keep the machine, not the call).
    public unowned(unsafe) let machine: BPFMachine
    /// r1...r5 at the call.
    public let r1: UInt64, r2: UInt64, r3: UInt64, r4: UInt64, r5: UInt64
    /// The instruction index of the call.
    public let instruction: Int
    /// The bpf-to-bpf frame depth at the call (0 = the program's main function).
    public let frame: Int

    /// A `.helperFault` error at this call.
    public func fault(_ message: String) -> VMError { VMError(.helperFault, at: instruction, message) }

    /// The bytes at `address`, or a fault naming `what`.
    public func bytes(_ address: UInt64, count: Int, _ what: String) throws(VMError) -> [UInt8] {
        guard let bytes = machine.memory.read(address, count: count) else {
            throw fault("\(what): cannot read \(count) bytes at \(machine.memory.describe(address))")
        }
        return bytes
    }

    /// A host pointer to `count` bytes at `address`, or a fault naming `what`.
    public func pointer(_ address: UInt64, count: Int, write: Bool, _ what: String) throws(VMError) -> UnsafeMutableRawPointer {
        guard let p = machine.memory.pointer(address, size: count, write: write) else {
            throw fault("\(what): cannot \(write ? "write" : "read") \(count) bytes at \(machine.memory.describe(address))")
        }
        return p
    }
}

/// How a helper call ends.
public enum HelperOutcome {
    /// r0 = value, the program continues.
    case value(UInt64)
    /// The program stops now with r0 = value (the conformance suite's helper 5 with argument 0).
    case exit(UInt64)
    /// Continue in another program (bpf_tail_call), with r1 unchanged.
    case tailCall(VMProgram)
}

/// A helper's implementation.
public typealias HelperFunction = (HelperCall) throws(VMError) -> HelperOutcome

/// A helper the VM models: its number (`enum bpf_func_id`), its name and its implementation.
public struct Helper {
    public var id: Int32
    public var name: String
    public var function: HelperFunction

    public init(id: Int32, name: String, _ function: @escaping HelperFunction) {
        self.id = id
        self.name = name
        self.function = function
    }
}

/// The helpers a machine offers, by number. Another module adds its own with `register`.
public struct HelperTable {
    public private(set) var helpers: [Int32: Helper] = [:]

    public init() {}

    public init(_ helpers: [Helper]) {
        for helper in helpers { register(helper) }
    }

    /// Adds or replaces a helper.
    public mutating func register(_ helper: Helper) { helpers[helper.id] = helper }

    public subscript(id: Int32) -> Helper? { helpers[id] }

    /// The standard table: maps, ring buffers, tail calls, time, prandom, printk, XDP/TC packet
    /// helpers (see `StandardHelpers`).
    public static var standard: HelperTable { HelperTable(StandardHelpers.all) }
}

/// A kernel function callable with `call` src = BPF_PSEUDO_KFUNC_CALL. A later module (the kfunc
/// set) registers these; the VM resolves a call at load time by the name the object's BTF gives
/// it (passed in `LoadOptions.kfuncNames`) or else by BTF id.
public struct Kfunc {
    public var name: String
    /// The BTF id the kernel's vmlinux gives it, when known.
    public var btfID: Int32?
    public var function: HelperFunction

    public init(name: String, btfID: Int32? = nil, _ function: @escaping HelperFunction) {
        self.name = name
        self.btfID = btfID
        self.function = function
    }
}

/// The kfuncs a machine offers, by name and by BTF id.
public struct KfuncTable {
    public private(set) var byName: [String: Kfunc] = [:]
    public private(set) var byBTFID: [Int32: Kfunc] = [:]

    public init() {}

    public mutating func register(_ kfunc: Kfunc) {
        byName[kfunc.name] = kfunc
        if let id = kfunc.btfID { byBTFID[id] = kfunc }
    }

    public func resolve(name: String?, btfID: Int32) -> Kfunc? {
        if let name, let kfunc = byName[name] { return kfunc }
        return byBTFID[btfID]
    }
}
