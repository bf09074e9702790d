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
        "syn-flood.pcap": [
            // Recorded from the kernel (`ctsim diff track --pace top`, the model agreeing): every SYN
            // leaves an entry; a refused SYN (RST-ACK) leaves none.
            "tcp      6 300 ESTABLISHED src=198.51.100.1 dst=192.0.2.10 sport=46000 dport=80 src=192.0.2.10 dst=198.51.100.1 sport=80 dport=46000 [ASSURED] mark=0 use=1",
            "tcp      6 432000 ESTABLISHED src=198.51.100.1 dst=192.0.2.10 sport=46002 dport=80 src=192.0.2.10 dst=198.51.100.1 sport=80 dport=46002 [ASSURED] mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.3 dst=192.0.2.10 sport=46200 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.3 sport=80 dport=46200 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.3 dst=192.0.2.10 sport=46201 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.3 sport=80 dport=46201 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.99 dst=192.0.2.10 sport=50000 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.99 sport=80 dport=50000 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.99 dst=192.0.2.10 sport=50001 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.99 sport=80 dport=50001 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.99 dst=192.0.2.10 sport=50002 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.99 sport=80 dport=50002 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.99 dst=192.0.2.10 sport=50003 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.99 sport=80 dport=50003 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.99 dst=192.0.2.10 sport=50004 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.99 sport=80 dport=50004 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.99 dst=192.0.2.10 sport=50005 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.99 sport=80 dport=50005 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.100 dst=192.0.2.10 sport=1024 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.100 sport=80 dport=1024 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.101 dst=192.0.2.10 sport=1061 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.101 sport=80 dport=1061 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.102 dst=192.0.2.10 sport=1098 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.102 sport=80 dport=1098 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.103 dst=192.0.2.10 sport=1135 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.103 sport=80 dport=1135 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.104 dst=192.0.2.10 sport=1172 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.104 sport=80 dport=1172 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.105 dst=192.0.2.10 sport=1209 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.105 sport=80 dport=1209 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.106 dst=192.0.2.10 sport=1246 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.106 sport=80 dport=1246 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.107 dst=192.0.2.10 sport=1283 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.107 sport=80 dport=1283 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.108 dst=192.0.2.10 sport=1320 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.108 sport=80 dport=1320 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.109 dst=192.0.2.10 sport=1357 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.109 sport=80 dport=1357 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.110 dst=192.0.2.10 sport=1394 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.110 sport=80 dport=1394 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.111 dst=192.0.2.10 sport=1431 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.111 sport=80 dport=1431 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.112 dst=192.0.2.10 sport=1468 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.112 sport=80 dport=1468 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.113 dst=192.0.2.10 sport=1505 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.113 sport=80 dport=1505 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.114 dst=192.0.2.10 sport=1542 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.114 sport=80 dport=1542 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.115 dst=192.0.2.10 sport=1579 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.115 sport=80 dport=1579 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.116 dst=192.0.2.10 sport=1616 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.116 sport=80 dport=1616 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.117 dst=192.0.2.10 sport=1653 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.117 sport=80 dport=1653 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.118 dst=192.0.2.10 sport=1690 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.118 sport=80 dport=1690 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.119 dst=192.0.2.10 sport=1727 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.119 sport=80 dport=1727 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.120 dst=192.0.2.10 sport=1764 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.120 sport=80 dport=1764 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.121 dst=192.0.2.10 sport=1801 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.121 sport=80 dport=1801 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.122 dst=192.0.2.10 sport=1838 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.122 sport=80 dport=1838 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.123 dst=192.0.2.10 sport=1875 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.123 sport=80 dport=1875 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.124 dst=192.0.2.10 sport=1912 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.124 sport=80 dport=1912 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.125 dst=192.0.2.10 sport=1949 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.125 sport=80 dport=1949 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.126 dst=192.0.2.10 sport=1986 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.126 sport=80 dport=1986 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.127 dst=192.0.2.10 sport=2023 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.127 sport=80 dport=2023 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.128 dst=192.0.2.10 sport=2060 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.128 sport=80 dport=2060 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.129 dst=192.0.2.10 sport=2097 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.129 sport=80 dport=2097 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.130 dst=192.0.2.10 sport=2134 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.130 sport=80 dport=2134 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.131 dst=192.0.2.10 sport=2171 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.131 sport=80 dport=2171 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.132 dst=192.0.2.10 sport=2208 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.132 sport=80 dport=2208 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.133 dst=192.0.2.10 sport=2245 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.133 sport=80 dport=2245 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.134 dst=192.0.2.10 sport=2282 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.134 sport=80 dport=2282 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.135 dst=192.0.2.10 sport=2319 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.135 sport=80 dport=2319 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.136 dst=192.0.2.10 sport=2356 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.136 sport=80 dport=2356 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.137 dst=192.0.2.10 sport=2393 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.137 sport=80 dport=2393 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.138 dst=192.0.2.10 sport=2430 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.138 sport=80 dport=2430 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.139 dst=192.0.2.10 sport=2467 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.139 sport=80 dport=2467 mark=0 use=1",
            "tcp      6 300 ESTABLISHED src=198.51.100.200 dst=192.0.2.10 sport=46300 dport=80 [UNREPLIED] src=192.0.2.10 dst=198.51.100.200 sport=80 dport=46300 mark=0 use=1",
            "tcp      6 432000 ESTABLISHED src=2001:db8::1 dst=2001:db8:1::10 sport=46100 dport=443 src=2001:db8:1::10 dst=2001:db8::1 sport=443 dport=46100 [ASSURED] mark=0 use=1",
        ],
        "multi-service.pcap": [
            // Recorded from the kernel: the mid-stream HTTPS connection is picked up from the
            // server's side.
            "tcp      6 300 ESTABLISHED src=192.0.2.10 dst=198.51.100.1 sport=443 dport=47030 src=198.51.100.1 dst=192.0.2.10 sport=47030 dport=443 mark=0 use=1",
            "tcp      6 300 ESTABLISHED src=198.51.100.1 dst=192.0.2.10 sport=47000 dport=80 src=192.0.2.10 dst=198.51.100.1 sport=80 dport=47000 [ASSURED] mark=0 use=1",
            "tcp      6 300 ESTABLISHED src=198.51.100.1 dst=192.0.2.10 sport=47001 dport=443 src=192.0.2.10 dst=198.51.100.1 sport=443 dport=47001 [ASSURED] mark=0 use=1",
            "tcp      6 300 ESTABLISHED src=198.51.100.1 dst=192.0.2.10 sport=47002 dport=22 src=192.0.2.10 dst=198.51.100.1 sport=22 dport=47002 [ASSURED] mark=0 use=1",
            "tcp      6 300 ESTABLISHED src=198.51.100.1 dst=192.0.2.10 sport=47003 dport=9000 src=192.0.2.10 dst=198.51.100.1 sport=9000 dport=47003 [ASSURED] mark=0 use=1",
            "udp      17 30 src=198.51.100.1 dst=192.0.2.10 sport=47020 dport=5001 [UNREPLIED] src=192.0.2.10 dst=198.51.100.1 sport=5001 dport=47020 mark=0 use=1",
            "udp      17 30 src=198.51.100.1 dst=192.0.2.53 sport=47010 dport=53 src=192.0.2.53 dst=198.51.100.1 sport=53 dport=47010 mark=0 use=1",
            "udp      17 30 src=2001:db8::1 dst=2001:db8:1::10 sport=47011 dport=53 src=2001:db8:1::10 dst=2001:db8::1 sport=53 dport=47011 mark=0 use=1",
        ],
        "nat-client.pcap": [
            // Recorded from the kernel, which does no NAT here: the translated answers are flows of
            // their own, and SYN-ACKs of no known connection are invalid and leave no entry.
            "tcp      6 120 SYN_SENT src=192.0.2.10 dst=198.51.100.1 sport=48100 dport=22 [UNREPLIED] src=198.51.100.1 dst=192.0.2.10 sport=22 dport=48100 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.1 dst=192.0.2.100 sport=48000 dport=80 [UNREPLIED] src=192.0.2.100 dst=198.51.100.1 sport=80 dport=48000 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=198.51.100.3 dst=192.0.2.100 sport=48000 dport=80 [UNREPLIED] src=192.0.2.100 dst=198.51.100.3 sport=80 dport=48000 mark=0 use=1",
            "udp      17 30 src=192.0.2.53 dst=192.0.2.1 sport=53 dport=48001 [UNREPLIED] src=192.0.2.1 dst=192.0.2.53 sport=48001 dport=53 mark=0 use=1",
            "udp      17 30 src=198.51.100.1 dst=192.0.2.53 sport=48001 dport=53 [UNREPLIED] src=192.0.2.53 dst=198.51.100.1 sport=53 dport=48001 mark=0 use=1",
            "tcp      6 120 SYN_SENT src=2001:db8::1 dst=2001:db8:1::100 sport=48002 dport=80 [UNREPLIED] src=2001:db8:1::100 dst=2001:db8::1 sport=80 dport=48002 mark=0 use=1",
        ],
        "sctp-association.pcap": [
            // Recorded from the kernel (`conntrack -L` in the router namespace after the capture,
            // the model agreeing line for line). An INIT from NONE leaves CLOSED (10 s); INIT_ACK
            // makes it COOKIE_WAIT (3 s); COOKIE_ACK ESTABLISHED (210 s) and ASSURED. SHUTDOWN_COMPLETE
            // and ABORT end in CLOSED. The bad-CRC INIT and the out-of-the-blue DATA make no entry;
            // the port unreachable quoting the lone INIT is RELATED and leaves it UNREPLIED.
            "sctp     132 10 CLOSED src=198.51.100.1 dst=192.0.2.10 sport=48000 dport=36412 src=192.0.2.10 dst=198.51.100.1 sport=36412 dport=48000 [ASSURED] mark=0 use=1",
            "sctp     132 10 CLOSED src=198.51.100.1 dst=192.0.2.10 sport=48001 dport=36412 src=192.0.2.10 dst=198.51.100.1 sport=36412 dport=48001 [ASSURED] mark=0 use=1",
            "sctp     132 10 CLOSED src=198.51.100.1 dst=192.0.2.10 sport=48005 dport=2905 [UNREPLIED] src=192.0.2.10 dst=198.51.100.1 sport=2905 dport=48005 mark=0 use=1",
            "sctp     132 3 COOKIE_WAIT src=198.51.100.1 dst=192.0.2.10 sport=48006 dport=36412 src=192.0.2.10 dst=198.51.100.1 sport=36412 dport=48006 mark=0 use=1",
            "sctp     132 210 ESTABLISHED src=2001:db8::1 dst=2001:db8:1::10 sport=48002 dport=36412 src=2001:db8:1::10 dst=2001:db8::1 sport=36412 dport=48002 [ASSURED] mark=0 use=1",
        ],
        "udplite-gre.pcap": [
            // Recorded from the kernel. UDP-Lite shares UDP's timeouts; its checksum is verified
            // with UDP's pseudo-header protocol (17), so the datagrams checksummed as RFC 3828 says
            // (protocol 136) are INVALID and leave no entry, as do a zero checksum and a coverage
            // of 4. A reply makes UDP-Lite a stream at once (no 2 s rule). GRE: version 0 has keys 0 (replied: 180 s and ASSURED; else 30 s); version 1
            // PPP gets the call id as dstkey; version 1 carrying IPv4 is INVALID.
            "gre      47 180 src=198.51.100.1 dst=192.0.2.10 srckey=0x0 dstkey=0x0 src=192.0.2.10 dst=198.51.100.1 srckey=0x0 dstkey=0x0 [ASSURED] mark=0 use=1",
            "gre      47 30 src=198.51.100.1 dst=192.0.2.20 srckey=0x0 dstkey=0x1234 [UNREPLIED] src=192.0.2.20 dst=198.51.100.1 srckey=0x1234 dstkey=0x0 mark=0 use=1",
            "gre      47 30 src=198.51.100.1 dst=192.0.2.53 srckey=0x0 dstkey=0x0 [UNREPLIED] src=192.0.2.53 dst=198.51.100.1 srckey=0x0 dstkey=0x0 mark=0 use=1",
            "udplite  136 30 src=198.51.100.1 dst=192.0.2.10 sport=49000 dport=5000 src=192.0.2.10 dst=198.51.100.1 sport=5000 dport=49000 mark=0 use=1",
            "udplite  136 30 src=198.51.100.1 dst=192.0.2.10 sport=49001 dport=5001 src=192.0.2.10 dst=198.51.100.1 sport=5001 dport=49001 mark=0 use=1",
            "gre      47 30 src=2001:db8::1 dst=2001:db8:1::10 srckey=0x0 dstkey=0x0 [UNREPLIED] src=2001:db8:1::10 dst=2001:db8::1 srckey=0x0 dstkey=0x0 mark=0 use=1",
            "udplite  136 30 src=2001:db8::1 dst=2001:db8:1::10 sport=49005 dport=5005 [UNREPLIED] src=2001:db8:1::10 dst=2001:db8::1 sport=5005 dport=49005 mark=0 use=1",
            // 300 bytes: accepted over IPv6; over IPv4 (49007) the check takes only the low byte
            // of the pseudo-header length, so the true length fails.
            "udplite  136 30 src=2001:db8::1 dst=2001:db8:1::10 sport=49008 dport=5008 [UNREPLIED] src=2001:db8:1::10 dst=2001:db8::1 sport=5008 dport=49008 mark=0 use=1",
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

