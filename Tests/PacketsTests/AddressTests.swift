import CtsimTesting
import Glibc
import Packets
import Testing

@Suite struct AddressTests {
    /// glibc's inet_ntop is the oracle: conntrack -L prints addresses with it.
    func glibcText(_ address: IPv6Address) -> String {
        var bytes = address.bytes
        var buffer = [CChar](repeating: 0, count: 64)
        _ = inet_ntop(AF_INET6, &bytes, &buffer, 64)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test func ipv6TextMatchesGlibcForRandomAndSpecialAddresses() {
        var rng = SplitMix64(seed: 6)
        var cases: [IPv6Address] = [
            IPv6Address(high: 0, low: 0), IPv6Address(high: 0, low: 1), IPv6Address(high: 0, low: 0xFFFF_C000_0201),
            IPv6Address(high: 0, low: 0xC000_0201), IPv6Address(high: 0x2001_0db8_0000_0000, low: 1),
            IPv6Address(high: 0x2001_0db8_0000_0001, low: 0x0000_0000_0001_0000),
            IPv6Address(high: 0xfe80_0000_0000_0000, low: 0x0200_00ff_fe00_0001),
        ]
        for _ in 0..<3000 {
            // Random groups with many zeros, so runs of zeros of every length appear.
            let groups = (0..<8).map { _ in rng.next() % 3 == 0 ? UInt16(truncatingIfNeeded: rng.next()) : 0 }
            cases.append(IPv6Address(groups: groups))
        }
        for address in cases {
            #expect(address.description == glibcText(address), "\(address.groups)")
            #expect(IPv6Address(address.description) == address)
        }
    }

    @Test(arguments: ["192.0.2.1", "0.0.0.0", "255.255.255.255", "198.51.100.200"])
    func ipv4RoundTrips(_ text: String) throws {
        let address = try #require(IPv4Address(text))
        #expect(address.description == text)
    }

    @Test(arguments: ["1.2.3", "1.2.3.4.5", "256.1.1.1", "a.b.c.d", "", "1..2.3"])
    func ipv4RejectsMalformedText(_ text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test(arguments: ["1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::1"])
    func ipv6RejectsMalformedText(_ text: String) {
        #expect(IPv6Address(text) == nil)
    }

    @Test func macAddressParsesAndPrints() throws {
        let mac = try #require(MACAddress("02:00:5e:10:00:ff"))
        #expect(mac.description == "02:00:5e:10:00:ff")
        #expect(MACAddress("02:00:5e:10:00") == nil)
    }
}
