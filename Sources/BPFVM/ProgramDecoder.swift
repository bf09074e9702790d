import BPFObject
import BPFVerifier

/// Links a decoded program (`BPFVerifier.DecodedProgram`) to one machine: helper and kfunc calls
/// get the machine's resolved function indexes, map references the maps' addresses. Nothing is
/// decoded here: the slots come from `ProgramDecoder`, run by the verifier for a verified program
/// or by `BPFMachine.load(_:name:options:)` for raw bytecode.
enum ProgramLinker {
    /// The code `machine` runs for `decoded`.
    /// - Throws: `VMError` `.unknownCall` for a helper or kfunc the machine does not model,
    ///   `.invalidProgram` for a map it does not have, `.invalidInstruction` for a map value
    ///   offset outside the map.
    static func link(_ decoded: DecodedProgram, machine: BPFMachine) throws(VMError) -> [DecodedInstruction] {
        var code = decoded.code
        for (slot, link) in decoded.links {
            switch link {
            case .helper(let id):
                guard let index = machine.helperIndex(for: id) else {
                    throw VMError(.unknownCall, at: slot, "call to \(HelperNames.describe(id)), which the VM does not model")
                }
                code[slot].immediate = UInt64(index)
            case .kfunc(let name, let btfID):
                guard let kfunc = machine.kfuncs.resolve(name: name, btfID: btfID) else {
                    let what = name.map { "kfunc \($0)" } ?? "kfunc with BTF id \(btfID)"
                    throw VMError(.unknownCall, at: slot, "call to \(what), which the VM does not model")
                }
                code[slot].immediate = UInt64(machine.kfuncIndex(kfunc))
            case .mapObject(let index):
                code[slot].immediate = try map(index, slot, machine).objectAddress
            case .mapValue(let index, let offset):
                let map = try map(index, slot, machine)
                guard let address = map.directValueAddress(offset: offset) else {
                    throw VMError(.invalidInstruction, at: slot, "map '\(map.definition.name)' has no direct value at offset \(offset) (opcode 0x18)")
                }
                code[slot].immediate = address
            }
        }
        return code
    }

    private static func map(_ index: Int, _ slot: Int, _ machine: BPFMachine) throws(VMError) -> BPFMap {
        guard index >= 0, index < machine.maps.count else {
            throw VMError(.invalidProgram, at: slot, "ld_imm64 references map \(index), which does not exist")
        }
        return machine.maps[index]
    }
}

extension VMError {
    /// The decoder's refusal as the VM reports it (same kind, slot and message).
    init(_ error: DecodingError) {
        switch error.kind {
        case .invalidInstruction: self.init(.invalidInstruction, at: error.instruction, error.message)
        case .invalidProgram: self.init(.invalidProgram, at: error.instruction, error.message)
        }
    }
}
