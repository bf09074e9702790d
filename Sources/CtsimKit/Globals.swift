/// The program's global variables by name.
///
/// ```swift
/// #expect(program.globals.integer("passed") == 3)
/// let last = try #require(program.globals["last_error"]).integer   // -2
/// ```
public struct Globals: Sendable, Sequence {
    /// Every variable in section order.
    public var all: [Global]

    public subscript(name: String) -> Global? { all.first { $0.name == name } }

    /// The integer variable `name`, nil when there is none or it is not an integer.
    public func integer(_ name: String) -> Int64? { self[name]?.integer }

    /// The raw bytes of `name`.
    public func bytes(_ name: String) -> [UInt8]? { self[name]?.bytes }

    public func makeIterator() -> IndexingIterator<[Global]> { all.makeIterator() }
}
