import Conntrack
import Packets
import Testing

/// `nf_conntrack_acct=1`: which packets the counters take (those `nf_ct_refresh_acct` sees) and
/// how many bytes (the IP packet's length), and that nothing is kept when it is off.
@Suite("Conntrack accounting")
struct AccountingTests {
    static func accountingModel() throws -> ConntrackModel {
        var sysctls = ConntrackSysctls()
        try sysctls.set("net.netfilter.nf_conntrack_acct", "1")
        return ConntrackModel(sysctls: sysctls)
    }

    func udp(_ fromClient: Bool, payload: Int = 3) -> IPPacketBuilder {
        IPPacketBuilder(
            source: fromClient ? client : server, destination: fromClient ? server : client,
            transport: .udp(
                sourcePort: fromClient ? 5000 : 53, destinationPort: fromClient ? 53 : 5000,
                payload: [UInt8](repeating: 7, count: payload)))
    }

    @Test("the sysctls: acct and timestamp are known, off by default; off keeps no counters")
    func sysctls() throws {
        var sysctls = ConntrackSysctls()
        #expect(sysctls.accounting == 0 && sysctls.timestamp == 0)
        try sysctls.set("nf_conntrack_acct", "1")
        try sysctls.set("/proc/sys/net/netfilter/nf_conntrack_timestamp", "1")
        #expect(sysctls.accounting == 1 && sysctls.timestamp == 1)
        #expect(throws: ConntrackError.self) { try sysctls.set("nf_conntrack_acct", "yes") }
        let off = ConntrackModel()
        off.feed(udp(true), at: 0)
        let entry = try #require(off.onlyEntry)
        #expect(off.counters(for: entry) == nil && !off.table.accounting)
        #expect(!entry.conntrackListLine(now: off.now, hz: off.hz).contains("packets="))
        // Counters live beside the entries, so a table without them is smaller by exactly them.
        let plain = ConntrackTable(maximum: 0, buckets: 16, initialCapacity: 1024)
        let counted = ConntrackTable(maximum: 0, buckets: 16, initialCapacity: 1024, accounting: true)
        #expect(counted.allocatedBytes - plain.allocatedBytes == 1024 * MemoryLayout<ConntrackCounters>.stride)
    }

    @Test("UDP: each packet counts in its direction with its IP length; the list line shows them")
    func udpCounters() throws {
        let model = try Self.accountingModel()
        let request = udp(true, payload: 3)
        let reply = udp(false, payload: 100)
        #expect(request.build().count == 31 && reply.build().count == 128)
        model.feed(request, at: 0)
        model.feed(reply, at: 0.1)
        model.feed(request, at: 0.2)
        let entry = try #require(model.onlyEntry)
        let counters = try #require(model.counters(for: entry))
        #expect(counters == ConntrackCounters(originalPackets: 2, originalBytes: 62, replyPackets: 1, replyBytes: 128))
        let line = entry.conntrackListLine(now: model.now, hz: model.hz, counters: counters)
        #expect(
            line.contains("sport=5000 dport=53 packets=2 bytes=62 src=192.0.2.10")
                && line.contains("sport=53 dport=5000 packets=1 bytes=128 mark=0"), "\(line)")
    }

    @Test("TCP: accepted packets count; INVALID ones and SYN retransmits before a reply do not")
    func tcpCounters() throws {
        let model = try Self.accountingModel()
        var c = Conversation()
        let syn = c.segment(fromClient: true, .syn)
        let synBytes = UInt64(syn.build().count)
        model.feed(syn, at: 0)
        model.feed(syn, at: 1)  // retransmit: NF_ACCEPT without nf_ct_refresh_acct
        var entry = try #require(model.onlyEntry)
        #expect(model.counters(for: entry) == ConntrackCounters(originalPackets: 1, originalBytes: synBytes))
        let synAck = c.segment(fromClient: false, [.syn, .ack])
        model.feed(synAck, at: 1.01)
        let ack = c.segment(fromClient: true, .ack)
        model.feed(ack, at: 1.02)
        let data = c.segment(fromClient: true, [.psh, .ack], payload: 500)
        #expect(model.feed(data, at: 1.03) == .established)
        var ahead = c
        ahead.serverSeq &+= 1_000_000  // acknowledges bytes never sent: INVALID, not counted
        #expect(model.feed(ahead.segment(fromClient: true, .ack), at: 1.04) == .invalid)
        entry = try #require(model.onlyEntry)
        let expected = ConntrackCounters(
            originalPackets: 3, originalBytes: synBytes + UInt64(ack.build().count + data.build().count),
            replyPackets: 1, replyBytes: UInt64(synAck.build().count))
        #expect(model.counters(for: entry) == expected)
    }

    @Test("a reused slot starts from zero")
    func reusedSlot() throws {
        let model = try Self.accountingModel()
        model.feed(udp(true), at: 0)
        model.feed(udp(true), at: 1)
        model.feed(udp(true), at: 40)  // the first entry expired (30 s); a new one takes its slot
        let entry = try #require(model.onlyEntry)
        #expect(model.counters(for: entry) == ConntrackCounters(originalPackets: 1, originalBytes: 31))
    }
}
