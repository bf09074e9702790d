/// What the live kernel's table holds after each sample capture of `Pcaps/` is forwarded through
/// the router namespace: the kernel's answer that the conntrack model must reproduce. The lines
/// are `conntrack -L` lines with the full timeout of the state the entry is in; the kernel's
/// timeout may be up to 3 s lower, since the table is read a moment after the traffic.
///
/// It lives next to the samples, not in CtsimTesting, so that test targets without the kernel
/// backend (the conntrack model's) can hold their tables against the kernel's too.
public enum SampleKernelTables {
    public static let expected: [String: [String]] = [
        "tcp-handshake-close.pcap": [
            // FIN from both sides and the last ACK: TIME_WAIT, 120 s.
            "tcp      6 120 TIME_WAIT src=198.51.100.1 dst=192.0.2.10 sport=40000 dport=80 src=192.0.2.10 dst=198.51.100.1 sport=80 dport=40000 [ASSURED] mark=0 use=1"
        ],
        "tcp-rst.pcap": [
            // Reset after data: CLOSE, 10 s. The SYN answered only by RST-ACK leaves no entry
            // (a connection whose only reply is a RST is deleted at once).
            "tcp      6 10 CLOSE src=198.51.100.1 dst=192.0.2.10 sport=40001 dport=443 src=192.0.2.10 dst=198.51.100.1 sport=443 dport=40001 [ASSURED] mark=0 use=1"
        ],
        "udp-request-reply.pcap": [
            "udp      17 30 src=198.51.100.1 dst=192.0.2.10 sport=50000 dport=5000 [UNREPLIED] src=192.0.2.10 dst=198.51.100.1 sport=5000 dport=50000 mark=0 use=1",
            "udp      17 30 src=198.51.100.1 dst=192.0.2.53 sport=53000 dport=53 src=192.0.2.53 dst=198.51.100.1 sport=53 dport=53000 mark=0 use=1",
        ],
        "icmp-echo.pcap": [
            // The port unreachable is RELATED to the UDP entry: it creates none and is no reply.
            "icmp     1 30 src=198.51.100.1 dst=192.0.2.10 type=8 code=0 id=3054 src=192.0.2.10 dst=198.51.100.1 type=0 code=0 id=3054 mark=0 use=1",
            "udp      17 30 src=198.51.100.1 dst=192.0.2.10 sport=33434 dport=33435 [UNREPLIED] src=192.0.2.10 dst=198.51.100.1 sport=33435 dport=33434 mark=0 use=1",
        ],
        "ipv6.pcap": [
            "icmpv6   58 30 src=2001:db8::1 dst=2001:db8:1::10 type=128 code=0 id=26214 src=2001:db8:1::10 dst=2001:db8::1 type=129 code=0 id=26214 mark=0 use=1",
            "tcp      6 120 TIME_WAIT src=2001:db8::1 dst=2001:db8:1::10 sport=41000 dport=80 src=2001:db8:1::10 dst=2001:db8::1 sport=80 dport=41000 [ASSURED] mark=0 use=1",
            "udp      17 30 src=2001:db8::1 dst=2001:db8:1::10 sport=41001 dport=4000 src=2001:db8:1::10 dst=2001:db8::1 sport=4000 dport=41001 mark=0 use=1",
        ],
        "vlan.pcap": [
            "tcp      6 432000 ESTABLISHED src=198.51.100.1 dst=192.0.2.10 sport=42001 dport=22 src=192.0.2.10 dst=198.51.100.1 sport=22 dport=42001 [ASSURED] mark=0 use=1",
            "udp      17 30 src=198.51.100.1 dst=192.0.2.10 sport=42000 dport=9999 src=192.0.2.10 dst=198.51.100.1 sport=9999 dport=42000 mark=0 use=1",
        ],
        "fragments.pcap": [
            // Fragments are reassembled before tracking: one entry per datagram's flow.
            "udp      17 30 src=198.51.100.1 dst=192.0.2.10 sport=43000 dport=7000 src=192.0.2.10 dst=198.51.100.1 sport=7000 dport=43000 mark=0 use=1",
            "udp      17 30 src=2001:db8::1 dst=2001:db8:1::10 sport=43001 dport=7001 [UNREPLIED] src=2001:db8:1::10 dst=2001:db8::1 sport=7001 dport=43001 mark=0 use=1",
        ],
        "linux-sll.pcap": handshakeAndUDP(port: 44_000),
        "linux-sll2.pcap": handshakeAndUDP(port: 44_001),
        "raw-ip.pcap": handshakeAndUDP(port: 44_002),
        "null-loopback.pcap": handshakeAndUDP(port: 44_003),
        "linktype-ipv6.pcap": [
            "icmpv6   58 30 src=2001:db8::1 dst=2001:db8:1::10 type=128 code=0 id=7 src=2001:db8:1::10 dst=2001:db8::1 type=129 code=0 id=7 mark=0 use=1"
        ],
        "tcp-udp.pcapng":
            handshakeAndUDP(port: 44_004) + [
                "udp      17 30 src=198.51.100.1 dst=192.0.2.53 sport=44005 dport=53 [UNREPLIED] src=192.0.2.53 dst=198.51.100.1 sport=53 dport=44005 mark=0 use=1"
            ],
        "snaplen-96.pcap": [
            // The data segment the capture cut short is dropped before conntrack sees it.
            "tcp      6 432000 ESTABLISHED src=198.51.100.1 dst=192.0.2.10 sport=45000 dport=80 src=192.0.2.10 dst=198.51.100.1 sport=80 dport=45000 [ASSURED] mark=0 use=1"
        ],
    ]

    static func handshakeAndUDP(port: Int) -> [String] {
        [
            "tcp      6 432000 ESTABLISHED src=198.51.100.1 dst=192.0.2.10 sport=\(port) dport=80 src=192.0.2.10 dst=198.51.100.1 sport=80 dport=\(port) [ASSURED] mark=0 use=1",
            "udp      17 30 src=2001:db8::1 dst=2001:db8:1::10 sport=\(port) dport=53 [UNREPLIED] src=2001:db8:1::10 dst=2001:db8::1 sport=53 dport=\(port) mark=0 use=1",
        ]
    }

    /// A line without its timeout field, and the timeout.
    public static func split(_ line: String) -> (shape: String, timeout: Int) {
        var fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let timeout = Int(fields[2]) ?? -1
        fields[2] = "T"
        return (fields.joined(separator: " "), timeout)
    }
}

