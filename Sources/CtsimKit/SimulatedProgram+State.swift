import BPFObject
import BPFVM
import Replay

extension SimulatedProgram {
    /// The conntrack table now, expired entries removed (their DESTROY events show on the next
    /// packet's result).
    public var conntrack: ConntrackSnapshot {
        session.model.sweep()
        return ConntrackSnapshot(entries: session.model.entries, now: session.model.now, hz: session.model.hz)
    }

    /// The global variables (`.bss`, `.data`, `.rodata`) now, by BTF name.
    public var globals: Globals {
        guard let btf = session.loaded.btf else { return Globals(all: []) }
        var all: [Global] = []
        for (index, definition) in session.loaded.maps.enumerated() {
            guard let dot = definition.name.firstIndex(of: ".") else { continue }
            let section = String(definition.name[dot...])
            guard
                section == ".bss" || section == ".data" || section.hasPrefix(".rodata") || section.hasPrefix(".data."),
                let datasec = definition.valueTypeID, index < session.machine.maps.count,
                let bytes = session.machine.maps[index].lookup(key: [0, 0, 0, 0])
            else { continue }
            for variable in btf[datasec].variables where btf[variable.type].kind == .variable {
                let start = Int(variable.offset), end = start + Int(variable.size)
                guard end <= bytes.count else { continue }
                all.append(
                    Global(
                        name: btf[variable.type].name, section: section,
                        value: GlobalValue.decode(
                            btf, type: btf[variable.type].sizeOrType, bytes: bytes, bit: start * 8),
                        bytes: Array(bytes[start..<end])))
            }
        }
        return Globals(all: all)
    }

    /// The names of the program's maps (BTF-defined maps, and libbpf's names for global data:
    /// `<object>.bss`, ...).
    public var mapNames: [String] { session.machine.maps.map(\.definition.name) }

    /// The map named `name`, for lookups and updates from the test (as `bpftool map` would).
    public func map(named name: String) -> ProgramMap? {
        session.machine.map(named: name).map(ProgramMap.init)
    }
}
