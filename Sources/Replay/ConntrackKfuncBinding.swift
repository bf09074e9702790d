import BPFVM
import Conntrack
import ConntrackKfuncs
import Kfuncs

/// One kfunc call as `--trace` prints it.
public struct KfuncTraceRecord: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var arguments: String
    public var result: String
    /// The errno the call wrote into `opts->error` (0 when none).
    public var errno: Int32

    public var description: String {
        "\(name)(\(arguments)) = \(result)" + (errno != 0 ? " (error \(errno))" : "")
    }
}

/// Binds the conntrack kfunc semantics (`ConntrackKfuncRuntime`) to a machine: reads the
/// arguments from VM memory, writes `opts` back, and hands out each acquired `nf_conn` as a
/// kernel-object region (released references fault on access).
public final class ConntrackKfuncBinding {
    public let runtime: ConntrackKfuncRuntime
    /// Objects the program holds references to, with their region tags (a handful at most, so a
    /// list searched in order beats hashing).
    @exclusivity(unchecked) var held: [(tag: UInt32, object: ConntrackObject)] = []
    @exclusivity(unchecked) public var tracing = false
    @exclusivity(unchecked) public var trace: [KfuncTraceRecord] = []

    public init(runtime: ConntrackKfuncRuntime) { self.runtime = runtime }

    /// References the program holds now.
    public var heldReferences: Int { held.count }

    /// The implementations by kfunc name, for `KfuncTable(registry:programType:implementations:)`.
    /// Each is one closure straight into this binding (kept in a `Kfunc`, so taking it out of the
    /// dictionary adds no conversion thunk to every call).
    public func implementations() -> [String: Kfunc] {
        var table: [String: Kfunc] = [:]
        func add(_ name: String, _ function: @escaping HelperFunction) { table[name] = Kfunc(name: name, function) }
        add("bpf_xdp_ct_lookup") { [self] call throws(VMError) in try lookupOrAlloc(call, name: "bpf_xdp_ct_lookup", alloc: false) }
        add("bpf_skb_ct_lookup") { [self] call throws(VMError) in try lookupOrAlloc(call, name: "bpf_skb_ct_lookup", alloc: false) }
        add("bpf_xdp_ct_alloc") { [self] call throws(VMError) in try lookupOrAlloc(call, name: "bpf_xdp_ct_alloc", alloc: true) }
        add("bpf_skb_ct_alloc") { [self] call throws(VMError) in try lookupOrAlloc(call, name: "bpf_skb_ct_alloc", alloc: true) }
        add("bpf_ct_insert_entry") { [self] call throws(VMError) in try insertEntry(call) }
        add("bpf_ct_release") { [self] call throws(VMError) in try release(call) }
        add("bpf_ct_set_timeout") { [self] call throws(VMError) in try setTimeout(call) }
        add("bpf_ct_change_timeout") { [self] call throws(VMError) in try changeTimeout(call) }
        add("bpf_ct_set_status") { [self] call throws(VMError) in try status(call, "bpf_ct_set_status", allocated: true) }
        add("bpf_ct_change_status") { [self] call throws(VMError) in try status(call, "bpf_ct_change_status", allocated: false) }
        add("bpf_ct_set_nat_info") { [self] call throws(VMError) in try setNATInfo(call) }
        return table
    }


    func insertEntry(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let (tag, object) = try self.object(call, call.r1, "bpf_ct_insert_entry", allocated: true)
        drop(tag, machine: call.machine)
        let result = runtime.insert(object)
        let address = result.map { hand($0, machine: call.machine) } ?? 0
        if tracing { record("bpf_ct_insert_entry", "nfct_i", address == 0 ? "NULL" : "nf_conn", 0) }
        return .value(address)
    }

    func release(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let (tag, object) = try self.object(call, call.r1, "bpf_ct_release", allocated: false)
        runtime.release(object)
        drop(tag, machine: call.machine)
        if tracing { record("bpf_ct_release", "nfct", "void", 0) }
        return .value(0)
    }

    func setTimeout(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let (_, object) = try self.object(call, call.r1, "bpf_ct_set_timeout", allocated: true)
        runtime.setTimeout(object, milliseconds: UInt32(truncatingIfNeeded: call.r2))
        if tracing { record("bpf_ct_set_timeout", "nfct, \(UInt32(truncatingIfNeeded: call.r2))", "void", 0) }
        return .value(0)
    }

    func changeTimeout(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let (_, object) = try self.object(call, call.r1, "bpf_ct_change_timeout", allocated: false)
        let r = runtime.changeTimeout(object, milliseconds: UInt32(truncatingIfNeeded: call.r2))
        if tracing { record("bpf_ct_change_timeout", "nfct, \(UInt32(truncatingIfNeeded: call.r2))", "\(r)", 0) }
        return .value(UInt64(bitPattern: Int64(r)))
    }


    func status(_ call: HelperCall, _ name: String, allocated: Bool) throws(VMError) -> HelperOutcome {
        let (_, object) = try self.object(call, call.r1, name, allocated: allocated)
        let r = runtime.changeStatus(object, UInt32(truncatingIfNeeded: call.r2))
        if tracing { record(name, "nfct, 0x\(String(UInt32(truncatingIfNeeded: call.r2), radix: 16))", "\(r)", 0) }
        return .value(UInt64(bitPattern: Int64(r)))
    }

    func setNATInfo(_ call: HelperCall) throws(VMError) -> HelperOutcome {
        let (_, object) = try self.object(call, call.r1, "bpf_ct_set_nat_info", allocated: true)
        let address = try call.bytes(call.r2, count: 16, "bpf_ct_set_nat_info addr")
        let port = Int32(truncatingIfNeeded: call.r3)
        let r = runtime.setNATInfo(object, address: address, port: port, manip: UInt32(truncatingIfNeeded: call.r4))
        if tracing { record("bpf_ct_set_nat_info", "nfct, addr, \(port), \(call.r4)", "\(r)", 0) }
        return .value(UInt64(bitPattern: Int64(r)))
    }

    func lookupOrAlloc(_ call: HelperCall, name: String, alloc: Bool) throws(VMError) -> HelperOutcome {
        let tupleSize = UInt32(truncatingIfNeeded: call.r3), optsSize = UInt32(truncatingIfNeeded: call.r5)
        let optsCount = min(max(Int(optsSize), 8), 16)
        let memory = call.machine.memory
        // The arguments in place: the tuple copied to the host stack (it may overlap opts), opts
        // read and written where it lies. Opts that can be read but not written take the copying
        // path, which faults after the call as it always did.
        let tupleCount = tupleSize == 12 || tupleSize == 36 ? Int(tupleSize) : 0
        var source: UnsafeMutableRawPointer? = nil
        if call.r2 != 0, tupleCount > 0 {
            guard let p = memory.pointer(call.r2, size: tupleCount, write: false) else {
                throw unreadable(call, call.r2, tupleCount, name, "bpf_tuple")
            }
            source = p
        }
        var optsPointer: UnsafeMutableRawPointer? = nil
        if call.r4 != 0 {
            guard let p = memory.pointer(call.r4, size: optsCount, write: true) else {
                guard memory.pointer(call.r4, size: optsCount, write: false) != nil else {
                    throw unreadable(call, call.r4, optsCount, name, "opts")
                }
                return try lookupOrAllocCopying(call, name: name, alloc: alloc)
            }
            optsPointer = p
        }
        return try withUnsafeTemporaryAllocation(byteCount: 36, alignment: 8) { buffer throws(VMError) -> HelperOutcome in
            var tuple: UnsafeRawBufferPointer? = nil
            if call.r2 != 0 {
                if let source { buffer.baseAddress!.copyMemory(from: source, byteCount: tupleCount) }
                tuple = UnsafeRawBufferPointer(start: buffer.baseAddress, count: tupleCount)
            }
            guard let optsPointer else {
                if tracing { record(name, "ctx, \(tuple.map { describe($0, size: tupleSize) } ?? "NULL"), \(tupleSize), opts, \(optsSize)", "NULL", 0) }
                return .value(0)
            }
            let opts = ConntrackOpts(UnsafeMutableRawBufferPointer(start: optsPointer, count: optsCount))
            let object = alloc
                ? runtime.alloc(tuple: tuple, tupleSize: tupleSize, opts: opts, optsSize: optsSize)
                : runtime.lookup(tuple: tuple, tupleSize: tupleSize, opts: opts, optsSize: optsSize)
            let address = object.map { hand($0, machine: call.machine) } ?? 0
            if tracing {
                let t = tuple.map { describe($0, size: tupleSize) } ?? "NULL"
                record(name, "ctx, \(t), \(tupleSize), opts, \(optsSize)", address == 0 ? "NULL" : "nf_conn", object == nil ? opts.error : 0)
            }
            return .value(address)
        }
    }

    /// The copying form, for opts the program may read but not write: the call runs on copies,
    /// then writing opts back faults.
    @inline(never)
    func lookupOrAllocCopying(_ call: HelperCall, name: String, alloc: Bool) throws(VMError) -> HelperOutcome {
        let tupleSize = UInt32(truncatingIfNeeded: call.r3), optsSize = UInt32(truncatingIfNeeded: call.r5)
        var tuple: [UInt8]? = nil
        if call.r2 != 0 {
            tuple = tupleSize == 12 || tupleSize == 36 ? try bytes(call, call.r2, Int(tupleSize), name, "bpf_tuple") : []
        }
        var opts: [UInt8]? = try bytes(call, call.r4, min(max(Int(optsSize), 8), 16), name, "opts")
        _ = alloc
            ? runtime.alloc(tuple: tuple, tupleSize: tupleSize, opts: &opts, optsSize: optsSize)
            : runtime.lookup(tuple: tuple, tupleSize: tupleSize, opts: &opts, optsSize: optsSize)
        throw call.fault("\(name): cannot write opts")
    }

    /// The fault `call.bytes` gives for `count` bytes at `address` it cannot read.
    @inline(never)
    func unreadable(_ call: HelperCall, _ address: UInt64, _ count: Int, _ name: String, _ what: StaticString) -> VMError {
        call.fault("\(name) \(what): cannot read \(count) bytes at \(call.machine.memory.describe(address))")
    }

    /// `call.bytes` without building the fault's text unless it faults.
    @inline(__always)
    func bytes(_ call: HelperCall, _ address: UInt64, _ count: Int, _ name: String, _ what: StaticString) throws(VMError) -> [UInt8] {
        if let bytes = call.machine.memory.read(address, count: count) { return bytes }
        return try call.bytes(address, count: count, "\(name) \(what)")
    }

    func describe(_ t: UnsafeRawBufferPointer, size: UInt32) -> String {
        guard size == 12, t.count >= 12 else { return "tuple" }
        return "\(t[0]).\(t[1]).\(t[2]).\(t[3]):\(UInt16(t[8]) << 8 | UInt16(t[9])) -> \(t[4]).\(t[5]).\(t[6]).\(t[7]):\(UInt16(t[10]) << 8 | UInt16(t[11]))"
    }

    func record(_ name: String, _ arguments: String, _ result: String, _ errno: Int32) {
        guard tracing else { return }
        trace.append(KfuncTraceRecord(name: name, arguments: arguments, result: result, errno: errno))
    }

    /// A new region for a reference to `object`.
    func hand(_ object: ConntrackObject, machine: BPFMachine) -> UInt64 {
        let tag = machine.memory.add(
            kind: .kernelObject, base: object.storage, length: ConntrackKernelTypes.Offset.size, writable: true,
            name: object.isAllocated ? "nf_conn___init" : "nf_conn")
        held.append((tag, object))
        return machine.memory.address(tag: tag, offset: 0)
    }

    func drop(_ tag: UInt32, machine: BPFMachine) {
        if let i = held.firstIndex(where: { $0.tag == tag }) { held.remove(at: i) }
        machine.memory.release(tag: tag)
    }

    func object(_ call: HelperCall, _ address: UInt64, _ name: String, allocated: Bool) throws(VMError) -> (UInt32, ConntrackObject) {
        let tag = UInt32(truncatingIfNeeded: address >> 32)
        guard let object = held.first(where: { $0.tag == tag })?.object, UInt32(truncatingIfNeeded: address) == 0 else {
            throw call.fault("\(name): R1 is not a referenced nf_conn (\(call.machine.memory.describe(address)))")
        }
        guard object.isAllocated == allocated else {
            throw call.fault("\(name): expects \(allocated ? "nf_conn___init" : "nf_conn"), got \(object.isAllocated ? "nf_conn___init" : "nf_conn")")
        }
        return (tag, object)
    }

    /// After a run: references the program kept (only an unverified program can) are dropped,
    /// and the marks programs wrote reach the table.
    public func endRun(machine: BPFMachine) {
        guard !held.isEmpty else { return }
        for (tag, object) in held.sorted(by: { $0.tag < $1.tag }) {
            if !object.isAllocated { runtime.release(object) }
            machine.memory.release(tag: tag)
        }
        held.removeAll(keepingCapacity: true)
    }
}
