import BPFObject
import BPFVM

/// Assembles and runs `source` on `machine` (a fresh standard one by default).
func run(_ source: String, on machine: BPFMachine = BPFMachine(), r1: UInt64 = 0, r2: UInt64 = 0, budget: Int? = nil) throws -> UInt64 {
    let program = try machine.load(try Assembler.assemble(source))
    return try machine.run(program, r1: r1, r2: r2, budget: budget)
}

/// The VMError `body` throws, or nil.
func vmError(_ body: () throws -> Void) -> VMError? {
    do {
        try body()
        return nil
    } catch let error as VMError {
        return error
    } catch {
        return nil
    }
}

func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { [UInt8]($0) } }
func le64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { [UInt8]($0) } }
