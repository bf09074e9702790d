import BPFObject

/// A program in the VM's decoded form, before a machine links it: every slot decoded (the second
/// slot of `ld_imm64` and one slot past the end hold `.trap`), and the places that name something
/// only a machine can resolve (helpers, kfuncs, maps) listed in `links`.
public struct DecodedProgram: Sendable, Hashable {
    /// What one instruction refers to outside the program.
    public enum Link: Sendable, Hashable {
        /// `call` of helper `id`: the machine puts its resolved helper index in `immediate`.
        case helper(id: Int32)
        /// `call` of a kfunc (named by the object's relocations when known, else by BTF id): the
        /// machine puts its resolved kfunc index in `immediate`.
        case kfunc(name: String?, btfID: Int32)
        /// `ld_imm64` of map `index` (BPF_PSEUDO_MAP_FD/IDX): the machine puts the map object's address in `immediate`.
        case mapObject(index: Int)
        /// `ld_imm64` of map `index`'s value at `offset` (BPF_PSEUDO_MAP_VALUE/IDX_VALUE).
        case mapValue(index: Int, offset: Int)
    }

    /// The decoded slots: one per instruction slot, then one `.trap` past the end.
    public var code: [DecodedInstruction]
    /// The number of instruction slots (`code.count - 1`).
    public var slotCount: Int
    /// (slot, what it refers to), in slot order.
    public var links: [(slot: Int, link: Link)]

    public init(code: [DecodedInstruction], slotCount: Int, links: [(slot: Int, link: Link)]) {
        self.code = code
        self.slotCount = slotCount
        self.links = links
    }

    public static func == (a: DecodedProgram, b: DecodedProgram) -> Bool {
        a.code == b.code && a.slotCount == b.slotCount && a.links.elementsEqual(b.links) { $0.slot == $1.slot && $0.link == $1.link }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(slotCount)
    }
}

/// Why `ProgramDecoder` refused a program: the kind, the instruction slot and a message. The VM
/// reports it as a `VMError` of the same kind.
public struct DecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// An encoding outside the ISA: unknown opcode, reserved field not zero, bad register,
        /// jump out of range or into the middle of `ld_imm64`.
        case invalidInstruction
        /// The program as a whole: empty, too large, referencing a negative map index.
        case invalidProgram
    }

    public var kind: Kind
    public var instruction: Int
    public var message: String

    public init(_ kind: Kind, at instruction: Int, _ message: String) {
        self.kind = kind
        self.instruction = instruction
        self.message = message
    }

    public var description: String { "instruction \(instruction): \(message)" }
}

extension DecodedProgram {
    /// The slot type, reachable by a path that does not start with the module's name (the module
    /// and its `BPFVerifier` entry point share it).
    public typealias Slot = DecodedInstruction
    /// The decoder that makes decoded programs.
    public typealias Decoder = ProgramDecoder
}
