import CtsimTesting
import Foundation
import KernelBackend
import Packets
import Testing

/// Programs through libbpf on the live kernel: verification with a log, BPF_PROG_TEST_RUN per
/// packet, globals by BTF name, and the conntrack entries the kfuncs leave in the namespace.
@Suite("BPF programs on the live kernel")
struct KernelProgramTests {
    static let client = IPAddress.v4(IPv4Address(198, 51, 100, 1))
    static let server = IPAddress.v4(IPv4Address(192, 0, 2, 10))

    static func capture(_ frames: [[UInt8]]) -> Capture {
        Capture(
            path: "hand-built", format: .init(container: .pcap, precision: .microseconds, bigEndian: false),
            linkType: .ethernet, snapshotLength: 65535,
            packets: frames.enumerated().map { CapturedPacket(number: $0 + 1, timestamp: Timestamp(nanoseconds: Int64($0) * 1000), data: $1) })
    }

    static func ethernet(_ packet: [UInt8]) -> [UInt8] { HandBuiltFrames.frame(packet, linkType: .ethernet) }

    /// The firewall's rules, packet by packet, with the verdict each must get.
    static let firewallTraffic: [(frame: [UInt8], verdict: String)] = [
        // An outside host's datagram with no entry: denied.
        (ethernet(HandBuiltFrames.udp(server, 53, client, 5300, payload: [1])), "XDP_DROP"),
        // The client's datagram creates an entry; the reply finds it.
        (ethernet(HandBuiltFrames.udp(client, 5300, server, 53, payload: [2])), "XDP_PASS"),
        (ethernet(HandBuiltFrames.udp(server, 53, client, 5300, payload: [3])), "XDP_PASS"),
        // The client again in the original direction: found.
        (ethernet(HandBuiltFrames.udp(client, 5300, server, 53, payload: [4])), "XDP_PASS"),
        // A TCP ACK without an entry may not create one, even from inside.
        (ethernet(HandBuiltFrames.tcp(client, 40000, server, 80, flags: .ack, sequence: 1, acknowledgement: 1)), "XDP_DROP"),
        // A bare SYN from inside creates one; the SYN-ACK finds it in the reply direction.
        (ethernet(HandBuiltFrames.tcp(client, 40001, server, 80, flags: .syn, sequence: 100, acknowledgement: 0)), "XDP_PASS"),
        (ethernet(HandBuiltFrames.tcp(server, 80, client, 40001, flags: [.syn, .ack], sequence: 500, acknowledgement: 101)), "XDP_PASS"),
        // ICMP is not tracked by this program: passed.
        (ethernet(HandBuiltFrames.echo(client, server, reply: false, id: 9, sequence: 1)), "XDP_PASS"),
        // ARP is not IP: passed.
        (FrameBuilder.ethernet([UInt8](repeating: 0, count: 28), source: HandBuiltFrames.placeholderSource,
            destination: HandBuiltFrames.placeholderDestination, etherType: 0x0806), "XDP_PASS"),
        // An IPv4 header cut after 10 bytes: malformed, dropped.
        (Array(ethernet(HandBuiltFrames.udp(client, 5301, server, 53, payload: [5])).prefix(24)), "XDP_DROP"),
    ]

    @Test(
        "the firewall over hand-built traffic: each verdict, the counters and the table (loopback or veth ingress)",
        .needsKernel, arguments: [false, true])
    func firewallVerdicts(vethIngress: Bool) throws {
        try KernelRequirement.require()
        let traffic = Self.firewallTraffic
        let result = try KernelReplay.run(
            objectPath: BPFTestObjects.firewall, program: "xdp_ct_firewall", capture: Self.capture(traffic.map(\.frame)),
            options: .init(useVethIngress: vethIngress))
        #expect(result.verification.accepted)
        #expect(result.verification.error == nil)
        #expect((result.verification.processedInstructions ?? 0) > 100)
        #expect(result.type == .xdp)
        #expect(result.results.map(\.action) == traffic.map(\.verdict))
        let globals = result.globals
        #expect(globals["packets"] == .unsigned(UInt64(traffic.count)))
        let passes = traffic.filter { $0.verdict == "XDP_PASS" }.count
        #expect(globals["passed"] == .unsigned(UInt64(passes)))
        #expect(globals["dropped"] == .unsigned(UInt64(traffic.count - passes)))
        #expect(globals["denied"] == .unsigned(2))
        #expect(globals["created"] == .unsigned(2))
        #expect(globals["found"] == .unsigned(1))
        #expect(globals["found_reply"] == .unsigned(2))
        #expect(globals["malformed"] == .unsigned(1))
        #expect(globals["non_ip"] == .unsigned(1))
        #expect(globals["untracked"] == .unsigned(1))
        // The last kfunc error was the SYN's miss: -ENOENT, read as a signed int.
        #expect(globals["last_error"] == .signed(-2))
        // .rodata settings come back by name too, arrays as lists.
        #expect(globals["new_ct_mark"] == .unsigned(1))
        #expect(globals["inside_v6_net"] == .array([.unsigned(0x2001_0db8), .unsigned(0), .unsigned(0), .unsigned(0)]))
        #expect(Set(globals.map(\.section)) == [".bss", ".rodata"])
        // Two entries made by the kfuncs: mark 1, TCP state NONE, replied ones SEEN_REPLY.
        let table = result.conntrack
        #expect(table.count == 2)
        #expect(table.allSatisfy { $0.mark == 1 && $0.original.source == Self.client })
        let tcp = try #require(table.first { $0.protocolNumber == 6 })
        #expect(tcp.tcpState?.name == "NONE")
        #expect(tcp.original.layer4 == .ports(source: 40001, destination: 80))
        #expect(tcp.status.contains(.confirmed) && tcp.status.contains(.seenReply))
        #expect(tcp.timeout <= 120 && tcp.timeout >= 110)
        let udp = try #require(table.first { $0.protocolNumber == 17 })
        #expect(udp.status.contains(.seenReply))
        #expect(udp.timeout <= 30 && udp.timeout >= 20)
    }

    @Test(
        "the firewall over sample captures: counter invariants and one entry with mark=1 per created flow", .needsKernel,
        arguments: ["tcp-handshake-close.pcap", "tcp-rst.pcap", "udp-request-reply.pcap", "ipv6.pcap", "vlan.pcap", "fragments.pcap", "linux-sll2.pcap"])
    func firewallSamples(name: String) throws {
        try KernelRequirement.require()
        let capture = try Capture(contentsOf: BPFTestObjects.sample(name))
        let result = try KernelReplay.run(objectPath: BPFTestObjects.firewall, program: nil, capture: capture)
        #expect(result.verification.accepted)
        #expect(result.results.count == capture.packets.count)
        #expect(result.results.allSatisfy { $0.skipped == nil && $0.returnValue != nil })
        let globals = result.globals
        let packets = try #require(globals["packets"]?.integer)
        let passed = try #require(globals["passed"]?.integer)
        let dropped = try #require(globals["dropped"]?.integer)
        #expect(packets == Int64(capture.packets.count))
        #expect(packets == passed + dropped)
        #expect(passed == Int64(result.counts["XDP_PASS", default: 0]))
        #expect(dropped == Int64(result.counts["XDP_DROP", default: 0]))
        let created = try #require(globals["created"]?.integer)
        #expect(created > 0)
        #expect(Int64(result.conntrack.count) == created)
        #expect(result.conntrack.allSatisfy { $0.mark == 1 })
        // Each verdict has exactly one reason counter (the program's own bookkeeping).
        func sum(_ names: [String]) throws -> Int64 {
            try names.reduce(0) { $0 + (try #require(globals[$1]?.integer, "\($1)")) }
        }
        #expect(try sum(["malformed", "fragments", "denied", "lookup_errors", "alloc_errors"]) == dropped)
        #expect(try sum(["non_ip", "untracked", "found", "found_reply", "created", "insert_errors"]) == passed)
    }

    @Test("a program the verifier rejects: verdict, error line, processed count, whole log", .needsKernel)
    func rejected() throws {
        try KernelRequirement.require()
        let path = try BPFTestObjects.outOfBounds()
        let verifications = try NetworkNamespace.withNamespace { namespace in
            try namespace.run { try KernelProgramLoader.verify(path: path, logLevel: 2) }
        }
        let verification = try #require(verifications.first)
        #expect(verifications.count == 1)
        #expect(verification.program == "xdp_oob")
        #expect(verification.type == "xdp")
        #expect(!verification.accepted)
        #expect(verification.errno == EACCES)
        #expect(verification.log.contains("invalid access to packet"))
        #expect(verification.error?.contains("outside of the packet") == true)
        #expect((verification.processedInstructions ?? 0) > 0)
        // Level 2 logs every instruction.
        #expect(verification.log.contains("(71) r"))
    }

    @Test("the XDP firewall loaded as a TC program is rejected (its xdp_md reads are not __sk_buff ones)", .needsKernel)
    func wrongProgramType() throws {
        try KernelRequirement.require()
        let verification = try NetworkNamespace.withNamespace { namespace in
            try namespace.run {
                try KernelProgramLoader.load(path: BPFTestObjects.firewall, program: "xdp_ct_firewall") { object, program in
                    try object.setType(.schedCls, of: program.name)
                }.verification
            }
        }
        #expect(!verification.accepted)
        #expect(verification.type == "sched_cls")
        #expect(verification.errno == EACCES)
        let error = try #require(verification.error)
        #expect(!error.isEmpty && verification.log.contains(error))
    }

    @Test("a TC program: __sk_buff runs, globals of every shape, .rodata set before load", .needsKernel)
    func classifier() throws {
        try KernelRequirement.require()
        let path = try BPFTestObjects.classifier()
        let miss = Self.ethernet(HandBuiltFrames.udp(Self.client, 6000, Self.server, 53, payload: [1, 2]))
        let arp = FrameBuilder.ethernet(
            [UInt8](repeating: 0, count: 28), source: HandBuiltFrames.placeholderSource,
            destination: HandBuiltFrames.placeholderDestination, etherType: 0x0806)
        try NetworkNamespace.withNamespace { namespace in
            try namespace.run {
                let object = try KernelBPFObject(path: path)
                #expect(object.programs.map(\.name) == ["tc_lookup", "xdp_pass"])
                #expect(object.programs.map(\.type) == [.schedCls, .xdp])
                #expect(throws: KernelError.self) { try object.program(named: nil) }
                #expect(throws: KernelError.self) { try object.program(named: "nope") }
                let verifications = try KernelProgramLoader.verify(path: path)
                #expect(verifications.map(\.accepted) == [true, true])

                let (loaded, verification) = try KernelProgramLoader.load(path: path, program: "tc_lookup") { object, _ in
                    var rodata = try #require(object.initialValue(of: ".rodata"))
                    #expect(rodata.count == 4)
                    rodata = [2, 0, 0, 0]  // TC_ACT_SHOT for a miss
                    try object.setInitialValue(of: ".rodata", rodata)
                }
                #expect(verification.accepted)
                let program = try loaded.loadedProgram("tc_lookup")
                #expect(program.type == .schedCls)
                let before = try loaded.globals()
                #expect(before["last_error"] == .signed(7))
                #expect(before["negative"] == .array([.signed(-1), .signed(-2), .signed(3)]))
                #expect(
                    before["shape"]
                        == .fields([
                            .init(name: "a", value: .unsigned(65535)), .init(name: "b", value: .signed(-5)),
                            .init(name: "c", value: .unsigned(5)), .init(name: "d", value: .unsigned(17)),
                        ]))
                #expect(before["verdict_for_miss"] == .unsigned(2))
                let runs = try [miss, arp, miss].map { try program.run($0) }
                #expect(runs.map(\.returnValue) == [2, 0, 2])
                #expect(runs[0].output == miss)
                let after = try loaded.globals()
                #expect(after["seen"] == .unsigned(3))
                #expect(after["misses"] == .unsigned(2))
                #expect(after["last_error"] == .signed(-2))
                // A frame shorter than an Ethernet header is refused by the kernel.
                #expect(throws: KernelError.self) { try program.run([1, 2, 3]) }
            }
        }
    }

    @Test("verifier log parsing: the error line is the last before the summary")
    func logParsing() {
        let log = """
            0: R1=ctx() R10=fp0
            6: (71) r1 = *(u8 *)(r1 +23)
            invalid access to packet, off=23 size=1, R1(id=0,off=23,r=14)
            R1 offset is outside of the packet
            verification time 12 usec
            stack depth 0
            processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0

            """
        #expect(VerifierLog.errorLine(log) == "R1 offset is outside of the packet")
        #expect(VerifierLog.processedInstructions(log) == 7)
        #expect(VerifierLog.errorLine("") == nil)
        #expect(VerifierLog.errorLine("only line\n") == "only line")
        #expect(VerifierLog.processedInstructions("no summary") == nil)
    }
}
