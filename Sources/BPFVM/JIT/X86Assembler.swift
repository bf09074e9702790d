/// The x86-64 encodings the JIT emits: a byte buffer, labels and 32-bit relative fixups.
///
/// Only the forms `JITCompiler` needs, each written out from the Intel SDM's tables: REX prefixes,
/// ModRM with register or `[base + disp]` operands (a SIB byte for rsp/r12 bases), a few scaled
/// index forms, immediates. Nothing here knows about BPF.
struct X86Assembler {
    /// General-purpose registers by encoding.
    enum Reg: UInt8 {
        case rax = 0, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15
    }

    /// Condition codes (the low nibble of `Jcc`).
    enum Condition: UInt8 {
        case below = 0x2, aboveOrEqual = 0x3, equal = 0x4, notEqual = 0x5, belowOrEqual = 0x6, above = 0x7
        case less = 0xC, greaterOrEqual = 0xD, lessOrEqual = 0xE, greater = 0xF
    }

    /// A position to jump to, bound once.
    struct Label: Hashable { let id: Int }

    private(set) var bytes: [UInt8] = []
    private var labelPositions: [Int] = []
    private var fixups: [(at: Int, label: Label)] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    var position: Int { bytes.count }

    mutating func newLabel() -> Label {
        labelPositions.append(-1)
        return Label(id: labelPositions.count - 1)
    }

    mutating func bind(_ label: Label) {
        precondition(labelPositions[label.id] < 0, "label bound twice")
        labelPositions[label.id] = bytes.count
    }

    func offset(of label: Label) -> Int? {
        let p = labelPositions[label.id]
        return p < 0 ? nil : p
    }

    /// Patches every jump; false when a label was used but never bound.
    mutating func resolve() -> Bool {
        for (at, label) in fixups {
            let target = labelPositions[label.id]
            guard target >= 0 else { return false }
            let rel = Int32(target - (at + 4))
            withUnsafeBytes(of: rel.littleEndian) { for k in 0..<4 { bytes[at + k] = $0[k] } }
        }
        fixups.removeAll()
        return true
    }

    // MARK: Raw bytes

    mutating func emit(_ byte: UInt8) { bytes.append(byte) }
    mutating func emit(_ list: [UInt8]) { bytes.append(contentsOf: list) }
    mutating func emit32(_ value: Int32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
    mutating func emit64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private mutating func rex(w: Bool, reg: UInt8, index: UInt8 = 0, base: UInt8, force: Bool = false) {
        let value: UInt8 = 0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((index >> 3) & 1) << 1 | ((base >> 3) & 1)
        if value != 0x40 || force { emit(value) }
    }

    /// `opcode` with a register-direct ModRM: `reg` (a register or an opcode extension) and `rm`.
    /// `byteRM`: `rm` is a byte register (spl, bpl, sil and dil need a REX prefix to be named).
    mutating func op(_ opcode: [UInt8], w: Bool, reg: UInt8, rm: Reg, operandSize16: Bool = false, byteRM: Bool = false) {
        if operandSize16 { emit(0x66) }
        rex(w: w, reg: reg, base: rm.rawValue, force: byteRM && (4...7).contains(rm.rawValue))
        emit(opcode)
        emit(0xC0 | (reg & 7) << 3 | (rm.rawValue & 7))
    }

    /// `opcode` with a `[base + disp]` ModRM (disp8 when it fits). `byteReg`: `reg` is a byte
    /// register (as `byteRM`).
    mutating func op(_ opcode: [UInt8], w: Bool, reg: UInt8, base: Reg, disp: Int32, operandSize16: Bool = false, byteReg: Bool = false) {
        if operandSize16 { emit(0x66) }
        rex(w: w, reg: reg, base: base.rawValue, force: byteReg && (4...7).contains(reg))
        emit(opcode)
        let r = (reg & 7) << 3
        let b = base.rawValue & 7
        if disp == 0 && b != 5 {
            emit(r | b)
            if b == 4 { emit(0x24) }
        } else if let d8 = Int8(exactly: disp) {
            emit(0x40 | r | b)
            if b == 4 { emit(0x24) }
            emit(UInt8(bitPattern: d8))
        } else {
            emit(0x80 | r | b)
            if b == 4 { emit(0x24) }
            emit32(disp)
        }
    }

    /// `opcode` with a `[base + index * scale]` ModRM and SIB (no displacement; `base` is not rbp/r13).
    mutating func op(_ opcode: [UInt8], w: Bool, reg: UInt8, base: Reg, index: Reg, scale: Int) {
        precondition(base.rawValue & 7 != 5 && index != .rsp)
        rex(w: w, reg: reg, index: index.rawValue, base: base.rawValue)
        emit(opcode)
        let ss: UInt8 = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0
        emit((reg & 7) << 3 | 4)
        emit(ss << 6 | (index.rawValue & 7) << 3 | (base.rawValue & 7))
    }

    // MARK: Moves

    /// `mov dst, [base + disp]` (64 or 32 bits, the 32-bit form zero-extends).
    mutating func load(_ dst: Reg, _ base: Reg, _ disp: Int32, w: Bool = true) {
        op([0x8B], w: w, reg: dst.rawValue, base: base, disp: disp)
    }

    /// `mov [base + disp], src` (64 bits).
    mutating func store(_ base: Reg, _ disp: Int32, _ src: Reg) {
        op([0x89], w: true, reg: src.rawValue, base: base, disp: disp)
    }

    /// `mov dst, src` (64 bits, or 32 zero-extending).
    mutating func move(_ dst: Reg, _ src: Reg, w: Bool = true) {
        op([0x89], w: w, reg: src.rawValue, rm: dst)
    }

    /// `dst = value` in the shortest form.
    mutating func moveImmediate(_ dst: Reg, _ value: UInt64) {
        if value == 0 {
            op([0x31], w: false, reg: dst.rawValue, rm: dst)  // xor r32, r32
        } else if value <= UInt64(UInt32.max) {
            rex(w: false, reg: 0, base: dst.rawValue)
            emit(0xB8 + (dst.rawValue & 7))
            emit32(Int32(bitPattern: UInt32(value)))
        } else if let s = Int32(exactly: Int64(bitPattern: value)) {
            op([0xC7], w: true, reg: 0, rm: dst)
            emit32(s)
        } else {
            rex(w: true, reg: 0, base: dst.rawValue)
            emit(0xB8 + (dst.rawValue & 7))
            emit64(value)
        }
    }

    /// `mov qword [base + disp], simm32`.
    mutating func storeImmediate(_ base: Reg, _ disp: Int32, _ value: Int32) {
        op([0xC7], w: true, reg: 0, base: base, disp: disp)
        emit32(value)
    }

    // MARK: Arithmetic

    /// The group-1 ALU operations (`op r/m, imm` extension digit and `op r/m, r` opcode).
    enum ALU: UInt8 {
        case add = 0, or = 1, and = 4, sub = 5, xor = 6, cmp = 7
        var registerOpcode: UInt8 { rawValue << 3 | 1 }
    }

    /// `op dst, src`.
    mutating func alu(_ kind: ALU, _ dst: Reg, _ src: Reg, w: Bool = true) {
        op([kind.registerOpcode], w: w, reg: src.rawValue, rm: dst)
    }

    /// `op dst, simm32` (imm8 form when it fits).
    mutating func alu(_ kind: ALU, _ dst: Reg, immediate: Int32, w: Bool = true) {
        if let i8 = Int8(exactly: immediate) {
            op([0x83], w: w, reg: kind.rawValue, rm: dst)
            emit(UInt8(bitPattern: i8))
        } else {
            op([0x81], w: w, reg: kind.rawValue, rm: dst)
            emit32(immediate)
        }
    }

    /// `op qword [base + disp], simm32`.
    mutating func alu(_ kind: ALU, _ base: Reg, _ disp: Int32, immediate: Int32) {
        if let i8 = Int8(exactly: immediate) {
            op([0x83], w: true, reg: kind.rawValue, base: base, disp: disp)
            emit(UInt8(bitPattern: i8))
        } else {
            op([0x81], w: true, reg: kind.rawValue, base: base, disp: disp)
            emit32(immediate)
        }
    }

    /// `op dst, [base + disp]` (64 or 32 bits).
    mutating func alu(_ kind: ALU, _ dst: Reg, _ base: Reg, _ disp: Int32, w: Bool = true) {
        op([kind.registerOpcode + 2], w: w, reg: dst.rawValue, base: base, disp: disp)
    }

    /// `test a, b`.
    mutating func test(_ a: Reg, _ b: Reg, w: Bool = true) {
        op([0x85], w: w, reg: b.rawValue, rm: a)
    }

    /// `imul dst, src`.
    mutating func imul(_ dst: Reg, _ src: Reg, w: Bool = true) {
        op([0x0F, 0xAF], w: w, reg: dst.rawValue, rm: src)
    }

    /// `imul dst, src, imm32`.
    mutating func imul(_ dst: Reg, _ src: Reg, immediate: Int32) {
        op([0x69], w: true, reg: dst.rawValue, rm: src)
        emit32(immediate)
    }

    /// The group-3 unary forms on a register: `neg` (3), `div` (6), `idiv` (7).
    mutating func unary(_ digit: UInt8, _ rm: Reg, w: Bool = true) {
        op([0xF7], w: w, reg: digit, rm: rm)
    }

    /// Shifts by `cl`: `shl` (4), `shr` (5), `sar` (7).
    mutating func shiftByCL(_ digit: UInt8, _ rm: Reg, w: Bool = true) {
        op([0xD3], w: w, reg: digit, rm: rm)
    }

    /// `shr dst, imm8` (64 bits).
    mutating func shiftRight(_ dst: Reg, _ count: UInt8) {
        shift(5, dst, count)
    }

    /// Shifts by an immediate: `shl` (4), `shr` (5), `sar` (7), `ror` (1).
    mutating func shift(_ digit: UInt8, _ rm: Reg, _ count: UInt8, w: Bool = true, operandSize16: Bool = false) {
        op([0xC1], w: w, reg: digit, rm: rm, operandSize16: operandSize16)
        emit(count)
    }

    /// `bswap reg` (64 or 32 bits).
    mutating func byteSwap(_ reg: Reg, w: Bool) {
        rex(w: w, reg: 0, base: reg.rawValue)
        emit([0x0F, 0xC8 + (reg.rawValue & 7)])
    }

    /// `lea dst, [base + disp]`.
    mutating func lea(_ dst: Reg, _ base: Reg, _ disp: Int32) {
        op([0x8D], w: true, reg: dst.rawValue, base: base, disp: disp)
    }

    // MARK: Control flow

    mutating func jump(_ label: Label) {
        emit(0xE9)
        fixups.append((position, label))
        emit32(0)
    }

    mutating func jump(_ condition: Condition, _ label: Label) {
        emit([0x0F, 0x80 | condition.rawValue])
        fixups.append((position, label))
        emit32(0)
    }

    /// `jmp reg`.
    mutating func jump(register: Reg) {
        op([0xFF], w: false, reg: 4, rm: register)
    }

    /// `call qword [base + disp]`.
    mutating func call(_ base: Reg, _ disp: Int32) {
        op([0xFF], w: false, reg: 2, base: base, disp: disp)
    }

    mutating func push(_ reg: Reg) {
        rex(w: false, reg: 0, base: reg.rawValue)
        emit(0x50 + (reg.rawValue & 7))
    }

    mutating func pop(_ reg: Reg) {
        rex(w: false, reg: 0, base: reg.rawValue)
        emit(0x58 + (reg.rawValue & 7))
    }

    mutating func ret() { emit(0xC3) }
}
