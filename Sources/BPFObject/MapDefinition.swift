/// The kernel's map types (`enum bpf_map_type`) that ctsim knows by name.
public struct MapType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let hash = MapType(rawValue: 1)
    public static let array = MapType(rawValue: 2)
    public static let progArray = MapType(rawValue: 3)
    public static let perfEventArray = MapType(rawValue: 4)
    public static let perCPUHash = MapType(rawValue: 5)
    public static let perCPUArray = MapType(rawValue: 6)
    public static let lruHash = MapType(rawValue: 9)
    public static let lruPerCPUHash = MapType(rawValue: 10)
    public static let ringBuffer = MapType(rawValue: 27)

    public var name: String {
        switch self {
        case .hash: "hash"
        case .array: "array"
        case .progArray: "prog_array"
        case .perfEventArray: "perf_event_array"
        case .perCPUHash: "percpu_hash"
        case .perCPUArray: "percpu_array"
        case .lruHash: "lru_hash"
        case .lruPerCPUHash: "lru_percpu_hash"
        case .ringBuffer: "ringbuf"
        default: "map_type_\(rawValue)"
        }
    }

    public var description: String { name }
}

/// A map as an object file declares it: in `.maps` (BTF-defined) or implicitly for global data
/// (`.data`, `.bss`, `.rodata*`, which are single-entry arrays whose value is the section).
public struct MapDefinition: Hashable, Sendable {
    /// The map's name: the variable in `.maps`, or libbpf's internal name for global data
    /// (`<object prefix>.bss`, `.data`, `.rodata`).
    public var name: String
    public var type: MapType
    public var keySize: Int
    public var valueSize: Int
    public var maxEntries: Int
    /// `map_flags` (BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, ...).
    public var flags: UInt32
    /// For global-data maps: the section's initial bytes (zeros for `.bss`).
    public var initialValue: [UInt8]?
    /// The BTF type ids of key and value, when the object's BTF describes them.
    public var keyTypeID: UInt32?
    public var valueTypeID: UInt32?

    public init(
        name: String, type: MapType, keySize: Int, valueSize: Int, maxEntries: Int, flags: UInt32 = 0,
        initialValue: [UInt8]? = nil, keyTypeID: UInt32? = nil, valueTypeID: UInt32? = nil
    ) {
        self.name = name
        self.type = type
        self.keySize = keySize
        self.valueSize = valueSize
        self.maxEntries = maxEntries
        self.flags = flags
        self.initialValue = initialValue
        self.keyTypeID = keyTypeID
        self.valueTypeID = valueTypeID
    }
}
