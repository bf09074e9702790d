// CtsimKit: test an XDP or TC program that uses the conntrack kfuncs from Swift, against the
// simulator: load it (`XDPProgram`, `TCProgram`), describe traffic without a capture file
// (`Traffic`, `TCPConversation`, `UDPConversation`, `ICMPEcho`), run it, and look at verdicts, the
// conntrack table, globals, maps and the kfunc trace. See the DocC catalog, CtsimKit.docc.
//
// The capture and conntrack vocabulary (`IPAddress`, `Timestamp`, `Capture`, `CapturedPacket`,
// `ConntrackEntry`, `ConntrackStatus`, `TCPConntrackState`, ...) comes with `import CtsimKit`.
@_exported import Conntrack
@_exported import Packets
