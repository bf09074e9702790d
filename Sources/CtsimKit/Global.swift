import Replay

/// A global variable's value decoded by its BTF type: integers with their signedness, arrays,
/// structs and unions by member name.
public typealias GlobalValue = Replay.GlobalValue

/// One global variable of the program (`.bss`, `.data`, `.rodata`), read after the runs so far.
public struct Global: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    /// `.bss`, `.data`, `.rodata`, ...
    public var section: String
    public var value: GlobalValue
    /// The variable's bytes as the program's memory holds them (little-endian).
    public var bytes: [UInt8]

    /// The value as a signed integer, when it is an integer (unsigned ones bit for bit).
    public var integer: Int64? { value.integer }

    /// The value as an unsigned integer, when it is an integer (signed ones bit for bit).
    public var unsignedInteger: UInt64? {
        switch value {
        case .signed(let v): UInt64(bitPattern: v)
        case .unsigned(let v): v
        default: nil
        }
    }

    public var description: String { "\(name) = \(value)" }
}
