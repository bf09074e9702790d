/// An address and a port: `198.51.100.1:40000`, `[2001:db8::1]:40000`.
///
/// Write endpoints as string literals where a type expects one; a literal that does not parse
/// stops the program (it is a typo in the test). Use ``init(_:)`` for text from elsewhere.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var address: IPAddress
    public var port: UInt16

    public init(_ address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Parses `a.b.c.d:port` or `[v6]:port`; nil when the text is neither.
    public init?(_ text: String) {
        let addressText: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return nil
            }
            addressText = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon else { return nil }
            addressText = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let address = IPAddress(addressText), let port = UInt16(portText) else { return nil }
        self.init(address, port: port)
    }

    public init(stringLiteral text: String) {
        guard let endpoint = Endpoint(text) else {
            preconditionFailure("not an endpoint (a.b.c.d:port or [v6]:port): \(text)")
        }
        self = endpoint
    }

    public var description: String { address.isIPv6 ? "[\(address)]:\(port)" : "\(address):\(port)" }
}
