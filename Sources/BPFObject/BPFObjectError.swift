/// Why an object file, a BTF blob or a relocation was refused: a kind, one line of text and, where
/// it applies, the byte offset in the file (or in the BTF blob) and the section it concerns.
public struct BPFObjectError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// Not an ELF file at all (bad magic).
        case notELF
        /// An ELF file ctsim cannot load: 32-bit, big-endian, not EM_BPF, not relocatable.
        case unsupportedELF
        /// A structure runs past the end of the file (or of its section).
        case truncated
        /// A field holds a value that makes no sense (bad index, bad size, misaligned table).
        case malformed
        /// `.BTF` or `.BTF.ext` is not valid.
        case badBTF
        /// A relocation cannot be applied.
        case badRelocation
        /// A CO-RE relocation cannot be resolved against the target BTF.
        case badCORE
        /// A program, map or extern that is asked for does not exist or is not supported.
        case notFound
        case unsupported
    }

    public var kind: Kind
    public var message: String
    /// Byte offset in the file (or the BTF blob / section named in `section`), when known.
    public var offset: Int?
    /// The section the offset is relative to, when it is not the file.
    public var section: String?

    public init(_ kind: Kind, _ message: String, offset: Int? = nil, section: String? = nil) {
        self.kind = kind
        self.message = message
        self.offset = offset
        self.section = section
    }

    public var description: String {
        var text = message
        switch (offset, section) {
        case (let offset?, let section?): text += " (\(section), byte offset \(offset))"
        case (let offset?, nil): text += " (byte offset \(offset))"
        case (nil, let section?): text += " (\(section))"
        case (nil, nil): break
        }
        return text
    }
}
