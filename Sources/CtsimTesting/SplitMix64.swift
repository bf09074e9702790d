/// A small seeded generator (SplitMix64) for generated test inputs: the same sequence on every
/// machine, so a generated case that fails fails again.
///
/// ```swift
/// var rng = SplitMix64(seed: 7)
/// let length = Int.random(in: 0...120, using: &rng)
/// let opcode = rng.pick([0x05, 0x15, 0x95])
/// ```
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// One of `choices` (not empty).
    public mutating func pick<T>(_ choices: [T]) -> T { choices[Int(next() % UInt64(choices.count))] }
}
