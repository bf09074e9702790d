import CtsimKit
import Testing

/// What loading says when it cannot: each failure a `CtsimKitError` with its kind, a message and
/// where; a rejected program carries the verifier's line.
@Suite("Loading errors")
struct ProgramErrorTests {
    @Test("a program the verifier rejects does not load; the error carries the kernel's line")
    func rejected() throws {
        let path = try KitTestFiles.outOfBounds()
        let verification = try XDPProgram.verify(object: path)
        #expect(!verification.accepted)
        #expect(verification.error == "R1 offset is outside of the packet")
        #expect(verification.log.contains("invalid access to packet"))
        do {
            _ = try XDPProgram(object: path)
            Issue.record("a rejected program loaded")
        } catch {
            #expect(error.kind == .rejected)
            #expect(error.verifierError == verification.error)
            #expect(
                error.description == "\(path): xdp_oob: rejected by the verifier: R1 offset is outside of the packet")
        }
    }

    @Test("an XDP program loaded as TCProgram, and a TC program as XDPProgram")
    func wrongType() throws {
        let firewall = try KitTestFiles.firewall()
        let gate = try KitTestFiles.udpGate()
        do {
            _ = try TCProgram(object: firewall)
            Issue.record("loaded")
        } catch {
            #expect(error.kind == .wrongProgramType)
            #expect(error.message == "xdp_ct_firewall is an XDP program (load it as XDPProgram), not a TCProgram")
        }
        #expect { try XDPProgram(object: gate) } throws: { ($0 as? CtsimKitError)?.kind == .wrongProgramType }
    }

    @Test("a missing file, a file that is not an object, a program that is not there")
    func badInput() throws {
        let firewall = try KitTestFiles.firewall()
        do {
            _ = try XDPProgram(object: "/nonexistent.bpf.o")
            Issue.record("loaded")
        } catch {
            #expect(error.kind == .load && error.location == "/nonexistent.bpf.o")
        }
        do {
            _ = try XDPProgram(objectBytes: Array("not an ELF".utf8), named: "junk.o")
            Issue.record("loaded")
        } catch {
            #expect(error.kind == .load && error.location == "junk.o")
        }
        do {
            _ = try XDPProgram(object: firewall, program: "xdp_nothing")
            Issue.record("loaded")
        } catch {
            #expect(error.kind == .load)
            #expect(error.message.contains("no program named xdp_nothing (programs: xdp_ct_firewall)"))
        }
    }

    @Test("constants and sysctls that do not exist or do not fit")
    func badSettings() throws {
        let firewall = try KitTestFiles.firewall()
        let cases: [([String: UInt64], [String: String], String)] = [
            (["no_such_global": 1], [:], "no global variable named no_such_global"),
            (["inside_v6_net": 1], [:], "global inside_v6_net is 16 bytes: only integers up to 8 bytes can be set"),
            (["last_error": 1 << 40], [:], "global last_error: 1099511627776 does not fit in 4 bytes"),
            ([:], ["net.netfilter.nf_conntrack_bogus": "1"], "unknown sysctl"),
        ]
        for (constants, sysctls, message) in cases {
            do {
                _ = try XDPProgram(object: firewall, sysctls: sysctls, constants: constants)
                Issue.record("loaded with \(constants) \(sysctls)")
            } catch {
                #expect(error.kind == .badSetting)
                #expect(error.message.contains(message), "\(error.message)")
            }
        }
        // A negative value written as its bit pattern fits.
        let program = try XDPProgram(object: firewall, constants: ["last_error": UInt64(bitPattern: -5)])
        #expect(program.globals.integer("last_error") == -5)
    }
}
