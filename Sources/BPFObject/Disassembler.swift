/// Prints instructions in the kernel verifier log's syntax (`kernel/bpf/disasm.c`):
/// `(61) r2 = *(u32 *)(r1 +4)`, `(85) call bpf_map_lookup_elem#1`, `(bf) r1 = (s8)r2`.
public struct Disassembler: Sendable {
    /// Names a kfunc call (`call NAME#imm`); by default "kernel-function" as the kernel does.
    public var kfuncName: @Sendable (_ index: Int, _ instruction: Instruction) -> String?
    /// Prints a wide load's constant; by default `0x…` as the kernel does.
    public var immediateName: @Sendable (_ index: Int, _ instruction: Instruction, _ value: UInt64) -> String?

    public init(
        kfuncName: @escaping @Sendable (Int, Instruction) -> String? = { _, _ in nil },
        immediateName: @escaping @Sendable (Int, Instruction, UInt64) -> String? = { _, _, _ in nil }
    ) {
        self.kfuncName = kfuncName
        self.immediateName = immediateName
    }

    /// A disassembler that names a loaded program's kfuncs and maps (`map[counters]`, `map[xdp_ct_f.bss][0]+40`).
    public init(program: LoadedProgram) {
        let calls = Dictionary(program.kfuncCalls.map { ($0.instruction, $0.name) }, uniquingKeysWith: { a, _ in a })
        let maps = program.maps.map(\.name)
        self.init(
            kfuncName: { index, _ in calls[index] },
            immediateName: { _, insn, value in
                let index = Int(insn.immediate)
                switch insn.source {
                case 5 where index >= 0 && index < maps.count: return "map[\(maps[index])]"
                case 6 where index >= 0 && index < maps.count: return "map[\(maps[index])][0]+\(UInt32(truncatingIfNeeded: value >> 32))"
                default: return nil
                }
            })
    }

    private static let alu = ["+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=", "endian", "BUG", "BUG"]
    private static let jump = ["jmp", "==", ">", ">=", "&", "!=", "s>", "s>=", "call", "exit", "<", "<=", "s<", "s<=", "BUG", "BUG"]
    private static let sizes = ["u32", "u16", "u8", "u64"]
    private static let signedSizes = ["s32", "s16", "s8", "BUG"]

    private static func signed(_ v: Int) -> String { v < 0 ? "\(v)" : "+\(v)" }

    /// One instruction without its index: `(61) r2 = *(u32 *)(r1 +4)`. `next` is the following
    /// slot, needed for `ld_imm64`.
    public func text(_ insn: Instruction, at index: Int = 0, next: Instruction? = nil) -> String {
        let code = insn.opcode
        let hex = String(code, radix: 16)
        let op = "(" + (hex.count < 2 ? "0" + hex : hex) + ")"
        let cls = code & 7
        let dst = Int(insn.destination), src = Int(insn.source)
        let off = Int(insn.offset), imm = Int(insn.immediate)
        let size = Int(code >> 3) & 3
        let mode = code & 0xE0
        switch cls {
        case 4, 7:
            let r = cls == 4 ? "w" : "r"
            let aluOp = Int(code >> 4)
            if aluOp == 0xD {
                return cls == 7 ? "\(op) r\(dst) = bswap\(imm) r\(dst)" : "\(op) r\(dst) = \(code & 8 != 0 ? "be" : "le")\(imm) r\(dst)"
            }
            if aluOp == 0x8 { return "\(op) \(r)\(dst) = -\(r)\(dst)" }
            if code == 0xBF && off == 1 {
                return "\(op) r\(dst) = addr_space_cast(r\(src), \(UInt32(bitPattern: insn.immediate) >> 16), \(UInt16(truncatingIfNeeded: imm)))"
            }
            let sdiv = (aluOp == 3 || aluOp == 9) && off == 1
            let name = sdiv ? (aluOp == 3 ? "s/=" : "s%=") : Self.alu[aluOp]
            if code & 8 != 0 {
                let movsx = aluOp == 0xB && (off == 8 || off == 16 || off == 32) ? "(s\(off))" : ""
                return "\(op) \(r)\(dst) \(name) \(movsx)\(r)\(src)"
            }
            return "\(op) \(r)\(dst) \(name) \(imm)"
        case 3:
            if mode == 0x60 { return "\(op) *(\(Self.sizes[size]) *)(r\(dst) \(Self.signed(off))) = r\(src)" }
            guard mode == 0xC0 else { return "BUG_\(hex)" }
            let w = size == 3 ? "64" : ""
            let mem = "(\(Self.sizes[size]) *)(r\(dst) \(Self.signed(off)))"
            switch imm {
            case 0x00, 0x40, 0x50, 0xA0: return "\(op) lock *\(mem) \(Self.alu[imm >> 4]) r\(src)"
            case 0x01, 0x41, 0x51, 0xA1:
                let fetch = [0: "add", 4: "or", 5: "and", 0xA: "xor"][imm >> 4]!
                return "\(op) r\(src) = atomic\(w)_fetch_\(fetch)(\(mem), r\(src))"
            case 0xF1: return "\(op) r0 = atomic\(w)_cmpxchg(\(mem), r0, r\(src))"
            case 0xE1: return "\(op) r\(src) = atomic\(w)_xchg(\(mem), r\(src))"
            case 0x100: return "\(op) r\(dst) = load_acquire((\(Self.sizes[size]) *)(r\(src) \(Self.signed(off))))"
            case 0x110: return "\(op) store_release(\(mem), r\(src))"
            default: return "BUG_\(hex)"
            }
        case 2:
            if mode == 0x60 { return "\(op) *(\(Self.sizes[size]) *)(r\(dst) \(Self.signed(off))) = \(imm)" }
            if mode == 0xC0 { return "\(op) nospec" }
            return "BUG_st_\(hex)"
        case 1:
            guard mode == 0x60 || mode == 0x80 else { return "BUG_ldx_\(hex)" }
            return "\(op) r\(dst) = *(\(mode == 0x60 ? Self.sizes[size] : Self.signedSizes[size]) *)(r\(src) \(Self.signed(off)))"
        case 0:
            if mode == 0x20 { return "\(op) r0 = *(\(Self.sizes[size]) *)skb[\(imm)]" }
            if mode == 0x40 { return "\(op) r0 = *(\(Self.sizes[size]) *)skb[r\(src) + \(imm)]" }
            guard code == 0x18 else { return "BUG_ld_\(hex)" }
            let value = UInt64(UInt32(bitPattern: insn.immediate)) | UInt64(UInt32(bitPattern: next?.immediate ?? 0)) << 32
            let shown = immediateName(index, insn, value) ?? "0x" + String(value, radix: 16)
            return "\(op) r\(dst) = \(shown)"
        default:  // 5, 6
            let jop = Int(code >> 4)
            if jop == 8 {
                if src == 1 { return "\(op) call pc\(Self.signed(imm))" }
                if src == 0, let name = HelperNames.name(insn.immediate) { return "\(op) call \(name)#\(imm)" }
                let name = kfuncName(index, insn) ?? (src == 2 ? "kernel-function" : "unknown")
                return "\(op) call \(name)#\(imm)"
            }
            if code == 0x05 { return "\(op) goto pc\(Self.signed(off))" }
            if code == 0xE5 && src == 0 { return "\(op) may_goto pc\(Self.signed(off))" }
            if code == 0x06 { return "\(op) gotol pc\(Self.signed(imm))" }
            if code == 0x95 { return "\(op) exit" }
            let r = cls == 6 ? "w" : "r"
            if code & 8 != 0 { return "\(op) if \(r)\(dst) \(Self.jump[jop]) \(r)\(src) goto pc\(Self.signed(off))" }
            return "\(op) if \(r)\(dst) \(Self.jump[jop]) 0x\(String(UInt32(bitPattern: insn.immediate), radix: 16)) goto pc\(Self.signed(off))"
        }
    }

    /// A whole program, one instruction per line as `N: (op) text` (the second slot of an
    /// `ld_imm64` gets no line, as in the kernel's log), with `; source` lines before the
    /// instructions that line_info marks, like `bpftool prog dump xlated`.
    public func lines(_ instructions: [Instruction], lineInfo: [BTFExt.LineInfo] = []) -> [String] {
        let sources = Dictionary(lineInfo.map { ($0.instruction, $0) }, uniquingKeysWith: { a, _ in a })
        var result: [String] = []
        var i = 0
        var previous: (String, Int)?
        while i < instructions.count {
            if let l = sources[i], previous.map({ $0 != (l.line, l.lineNumber) }) ?? true {
                previous = (l.line, l.lineNumber)
                let file = l.fileName.split(separator: "/").last.map(String.init) ?? l.fileName
                result.append("; \(l.line.trimmingLeadingSpaces) @ \(file):\(l.lineNumber)")
            }
            let next = i + 1 < instructions.count ? instructions[i + 1] : nil
            result.append("\(i): " + text(instructions[i], at: i, next: next))
            i += instructions[i].isWideLoad ? 2 : 1
        }
        return result
    }
}

extension String {
    fileprivate var trimmingLeadingSpaces: String { String(drop { $0 == " " || $0 == "\t" }) }
}
