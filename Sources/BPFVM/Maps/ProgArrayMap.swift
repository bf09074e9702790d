import BPFObject

/// BPF_MAP_TYPE_PROG_ARRAY: slots holding programs of the same machine, for `bpf_tail_call`.
/// The user side stores a program's index (`VMProgram.index`) as the 4-byte value.
public final class ProgArrayMap: BPFMap {
    var programs: [Int?]

    override init(definition: MapDefinition, index: Int, machine: BPFMachine) {
        programs = Array(repeating: nil, count: definition.maxEntries)
        super.init(definition: definition, index: index, machine: machine)
    }

    func program(at slot: UInt64) -> VMProgram? {
        guard slot < UInt64(programs.count), let p = programs[Int(slot)], p < machine.programs.count else { return nil }
        return machine.programs[p]
    }

    override func update(key: UnsafeRawPointer, value: UnsafeRawPointer, flags: UInt64) -> Int32 {
        if flags > UpdateFlag.exist { return -Errno.EINVAL }
        let slot = Int(key.loadUnaligned(as: UInt32.self))
        guard slot < programs.count else { return -Errno.E2BIG }
        let program = Int(value.loadUnaligned(as: UInt32.self))
        guard program < machine.programs.count else { return -Errno.EINVAL }
        programs[slot] = program
        return 0
    }

    override func delete(key: UnsafeRawPointer) -> Int32 {
        let slot = Int(key.loadUnaligned(as: UInt32.self))
        guard slot < programs.count else { return -Errno.E2BIG }
        guard programs[slot] != nil else { return -Errno.ENOENT }
        programs[slot] = nil
        return 0
    }

    public override func lookup(key: [UInt8]) -> [UInt8]? {
        guard key.count == 4 else { return nil }
        let slot = Int(UInt32(key[0]) | UInt32(key[1]) << 8 | UInt32(key[2]) << 16 | UInt32(key[3]) << 24)
        guard slot < programs.count, let p = programs[slot] else { return nil }
        return withUnsafeBytes(of: UInt32(p).littleEndian) { [UInt8]($0) }
    }

    /// Puts `program` in `slot`.
    public func set(_ program: VMProgram?, at slot: Int) {
        guard slot >= 0, slot < programs.count else { return }
        programs[slot] = program?.index
    }
}
