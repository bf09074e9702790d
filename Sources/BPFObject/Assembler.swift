/// An assembler for the bpf_conformance syntax (the uBPF-style text of the public conformance
/// suite): `mov32 %r0, 1`, `ldxdw %r0, [%r1+8]`, `lddw %r1, 0x1122334455667788`,
/// `jeq %r1, 5, label`, `ja +2`, `ja32 label`, `lock fetch add [%r10-8], %r1`,
/// `call 5`, `call %r2`, `call local fn`, `exit`, `label:`; `#` starts a comment.
///
/// The first `exit` is implicitly labelled `exit` (unless the source defines that label). Unlike
/// the suite's own C++ assembler, every field is range-checked: decimal immediates must fit a
/// signed 32-bit value (hex ones may give any 32-bit pattern), offsets a signed 16-bit value,
/// and registers are `%r0`...`%r10`.
///
/// Tests use it as the project's program builder:
/// ```swift
/// let program = try Assembler.assemble("""
///     mov %r0, 0
///     exit
///     """)
/// ```
public enum Assembler {
    /// Assembles `source`, one instruction per line.
    /// - Parameters:
    ///   - source: the program text.
    ///   - firstLine: the line number of the first line of `source`, for error locations (useful when
    ///     the text is a section of a larger file).
    /// - Returns: the instruction slots (`lddw` takes two).
    /// - Throws: `AssemblerError` naming the first bad line.
    public static func assemble(_ source: String, firstLine: Int = 1) throws(AssemblerError) -> [Instruction] {
        var state = AssemblerState()
        var lineNumber = firstLine
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            try state.assembleLine(line, number: lineNumber)
            lineNumber += 1
        }
        return try state.finish()
    }
}

/// The assembler's working state: the output so far, the labels and the pending fix-ups.
struct AssemblerState {
    var output: [Instruction] = []
    var labels: [String: Int] = [:]
    var explicitLabels: Set<String> = []
    /// (slot, label, line, whether the target goes into the immediate)
    var fixups: [(slot: Int, label: String, line: Int, inImmediate: Bool)] = []
    var sawExit = false

    mutating func assembleLine(_ raw: Substring, number: Int) throws(AssemblerError) {
        var text = raw
        if let hash = text.firstIndex(of: "#") { text = text[..<hash] }
        text = trimmed(text)
        // Leading labels: `name:` possibly followed by an instruction.
        while let colon = text.firstIndex(of: ":"), !text[..<colon].contains(where: \.isWhitespace) {
            let name = String(text[..<colon])
            guard isIdentifier(name) else {
                throw AssemblerError(.invalidLabel, line: number, "invalid label '\(name)'")
            }
            guard !explicitLabels.contains(name) else {
                throw AssemblerError(.duplicateLabel, line: number, "duplicate label '\(name)'")
            }
            explicitLabels.insert(name)
            labels[name] = output.count
            text = trimmed(text[text.index(after: colon)...])
        }
        guard !text.isEmpty else { return }

        let mnemonicEnd = text.firstIndex(where: \.isWhitespace) ?? text.endIndex
        let mnemonic = String(text[..<mnemonicEnd])
        let rest = trimmed(text[mnemonicEnd...])
        if mnemonic == "exit", !sawExit {
            sawExit = true
            if !explicitLabels.contains("exit") { labels["exit"] = output.count }
        }
        try encode(mnemonic: mnemonic, rest: rest, line: number)
    }

    mutating func finish() throws(AssemblerError) -> [Instruction] {
        for fixup in fixups {
            guard let target = labels[fixup.label] else {
                throw AssemblerError(.invalidLabel, line: fixup.line, "undefined label '\(fixup.label)'")
            }
            let relative = target - fixup.slot - 1
            if fixup.inImmediate {
                output[fixup.slot].immediate = Int32(relative)
            } else {
                guard let offset = Int16(exactly: relative) else {
                    throw AssemblerError(
                        .offsetRange, line: fixup.line, "jump to '\(fixup.label)' is too far for a 16-bit offset")
                }
                output[fixup.slot].offset = offset
            }
        }
        return output
    }

    // MARK: Encoding

    private static let aluOps: [String: UInt8] = [
        "add": Opcode.aluAdd, "sub": Opcode.aluSub, "mul": Opcode.aluMul, "div": Opcode.aluDiv,
        "sdiv": Opcode.aluDiv, "or": Opcode.aluOr, "and": Opcode.aluAnd, "lsh": Opcode.aluLsh,
        "rsh": Opcode.aluRsh, "mod": Opcode.aluMod, "smod": Opcode.aluMod, "xor": Opcode.aluXor,
        "mov": Opcode.aluMov, "arsh": Opcode.aluArsh, "neg": Opcode.aluNeg,
    ]

    private static let jumpOps: [String: UInt8] = [
        "jeq": Opcode.jmpJEQ, "jgt": Opcode.jmpJGT, "jge": Opcode.jmpJGE, "jset": Opcode.jmpJSET,
        "jne": Opcode.jmpJNE, "jsgt": Opcode.jmpJSGT, "jsge": Opcode.jmpJSGE, "jlt": Opcode.jmpJLT,
        "jle": Opcode.jmpJLE, "jslt": Opcode.jmpJSLT, "jsle": Opcode.jmpJSLE,
    ]

    private static let sizes: [String: UInt8] = ["b": Opcode.sizeB, "h": Opcode.sizeH, "w": Opcode.sizeW, "dw": Opcode.sizeDW]

    private static let atomicOps: [String: Int32] = [
        "add": Opcode.atomicAdd, "or": Opcode.atomicOr, "and": Opcode.atomicAnd, "xor": Opcode.atomicXor,
        "xchg": Opcode.atomicXchg, "cmpxchg": Opcode.atomicCmpxchg,
    ]

    private mutating func emit(_ instruction: Instruction) { output.append(instruction) }

    private mutating func encode(mnemonic: String, rest: Substring, line: Int) throws(AssemblerError) {
        switch mnemonic {
        case "exit":
            try expectOperands(rest, 0, mnemonic, line)
            emit(Instruction(opcode: Opcode.exit))
            return
        case "call":
            try encodeCall(rest, line: line)
            return
        case "lock":
            try encodeLock(rest, line: line)
            return
        case "lddw":
            let ops = try expectOperands(rest, 2, mnemonic, line)
            let dst = try register(ops[0], line)
            // Extensions for the project's tests: `map:N` (BPF_PSEUDO_MAP_FD) and `mapvalue:N:OFF`
            // (BPF_PSEUDO_MAP_VALUE), N being the map's index in the machine.
            if ops[1].hasPrefix("map:") || ops[1].hasPrefix("mapvalue:") {
                let parts = ops[1].split(separator: ":")
                let isValue = parts[0] == "mapvalue"
                guard parts.count == (isValue ? 3 : 2), let index = Int32(parts[1]), index >= 0,
                    let offset = isValue ? Int32(parts[2]) : 0
                else {
                    throw AssemblerError(.immediateRange, line: line, "invalid map reference '\(ops[1])' (map:N or mapvalue:N:OFFSET)")
                }
                emit(Instruction(opcode: Opcode.loadImm64, destination: dst, source: isValue ? Opcode.pseudoMapValue : Opcode.pseudoMapFD, immediate: index))
                emit(Instruction(opcode: 0, immediate: offset))
                return
            }
            let value = try immediate64(ops[1], line)
            emit(Instruction(opcode: Opcode.loadImm64, destination: dst, immediate: Int32(truncatingIfNeeded: value)))
            emit(Instruction(opcode: 0, immediate: Int32(truncatingIfNeeded: value >> 32)))
            return
        case "ja":
            let ops = try expectOperands(rest, 1, mnemonic, line)
            var instruction = Instruction(opcode: Opcode.ja)
            instruction.offset = try jumpOffset(ops[0], line)
            emit(instruction)
            return
        case "ja32", "gotol":
            let ops = try expectOperands(rest, 1, mnemonic, line)
            var instruction = Instruction(opcode: Opcode.ja32)
            instruction.immediate = try jumpImmediate(ops[0], line)
            emit(instruction)
            return
        default:
            break
        }

        // Byte swaps: le16/32/64, be16/32/64, bswap16/32/64 (also spelled swap16...).
        for (prefix, opcode) in [("le", UInt8(0xD4)), ("be", UInt8(0xDC)), ("bswap", UInt8(0xD7)), ("swap", UInt8(0xD7))] {
            if mnemonic.hasPrefix(prefix), let width = Int32(mnemonic.dropFirst(prefix.count)), [16, 32, 64].contains(width) {
                let ops = try expectOperands(rest, 1, mnemonic, line)
                emit(Instruction(opcode: opcode, destination: try register(ops[0], line), immediate: width))
                return
            }
        }

        // Loads and stores.
        if mnemonic.hasPrefix("ldxs"), let size = Self.sizes[String(mnemonic.dropFirst(4))], size != Opcode.sizeDW {
            let ops = try expectOperands(rest, 2, mnemonic, line)
            let dst = try register(ops[0], line)
            let (src, offset) = try memory(ops[1], line)
            emit(Instruction(opcode: Opcode.classLDX | Opcode.modeMEMSX | size, destination: dst, source: src, offset: offset))
            return
        }
        if mnemonic.hasPrefix("ldx"), let size = Self.sizes[String(mnemonic.dropFirst(3))] {
            let ops = try expectOperands(rest, 2, mnemonic, line)
            let dst = try register(ops[0], line)
            let (src, offset) = try memory(ops[1], line)
            emit(Instruction(opcode: Opcode.classLDX | Opcode.modeMEM | size, destination: dst, source: src, offset: offset))
            return
        }
        if mnemonic.hasPrefix("stx"), let size = Self.sizes[String(mnemonic.dropFirst(3))] {
            let ops = try expectOperands(rest, 2, mnemonic, line)
            let (dst, offset) = try memory(ops[0], line)
            let src = try register(ops[1], line)
            emit(Instruction(opcode: Opcode.classSTX | Opcode.modeMEM | size, destination: dst, source: src, offset: offset))
            return
        }
        if mnemonic.hasPrefix("st"), let size = Self.sizes[String(mnemonic.dropFirst(2))] {
            let ops = try expectOperands(rest, 2, mnemonic, line)
            let (dst, offset) = try memory(ops[0], line)
            let imm = try immediate32(ops[1], line)
            emit(Instruction(opcode: Opcode.classST | Opcode.modeMEM | size, destination: dst, offset: offset, immediate: imm))
            return
        }

        // Conditional jumps, JMP or JMP32.
        let is32 = mnemonic.hasSuffix("32")
        let is64 = mnemonic.hasSuffix("64")
        let base = is32 || is64 ? String(mnemonic.dropLast(2)) : mnemonic
        if !is64, let op = Self.jumpOps[base] {
            let ops = try expectOperands(rest, 3, mnemonic, line)
            let dst = try register(ops[0], line)
            var instruction = Instruction(opcode: (is32 ? Opcode.classJMP32 : Opcode.classJMP) | op, destination: dst)
            if ops[1].hasPrefix("%") {
                instruction.opcode |= Opcode.sourceX
                instruction.source = try register(ops[1], line)
            } else {
                instruction.immediate = try immediate32(ops[1], line)
            }
            instruction.offset = try jumpOffset(ops[2], line)
            emit(instruction)
            return
        }

        // movsx{8,16,32}{32,64}
        if base.hasPrefix("movsx"), is32 || is64, let width = Int16(base.dropFirst(5)),
            width == 8 || width == 16 || (width == 32 && is64)
        {
            let ops = try expectOperands(rest, 2, mnemonic, line)
            let dst = try register(ops[0], line)
            let src = try register(ops[1], line)
            let cls = is32 ? Opcode.classALU : Opcode.classALU64
            emit(Instruction(opcode: cls | Opcode.aluMov | Opcode.sourceX, destination: dst, source: src, offset: width))
            return
        }

        // ALU and ALU64.
        if let op = Self.aluOps[base] {
            let cls = is32 ? Opcode.classALU : Opcode.classALU64
            let signed: Int16 = base == "sdiv" || base == "smod" ? 1 : 0
            if op == Opcode.aluNeg {
                let ops = try expectOperands(rest, 1, mnemonic, line)
                emit(Instruction(opcode: cls | op, destination: try register(ops[0], line)))
                return
            }
            let ops = try expectOperands(rest, 2, mnemonic, line)
            let dst = try register(ops[0], line)
            if ops[1].hasPrefix("%") {
                emit(Instruction(opcode: cls | op | Opcode.sourceX, destination: dst, source: try register(ops[1], line), offset: signed))
            } else {
                emit(Instruction(opcode: cls | op, destination: dst, offset: signed, immediate: try immediate32(ops[1], line)))
            }
            return
        }
        throw AssemblerError(.invalidMnemonic, line: line, "invalid mnemonic '\(mnemonic)'")
    }

    /// `call N` / `call helper N` (helper), `call %rN` (callx), `call local label` (bpf-to-bpf),
    /// `call runtime N` / `call kfunc N` (kfunc by BTF id).
    private mutating func encodeCall(_ rest: Substring, line: Int) throws(AssemblerError) {
        let words = rest.split(whereSeparator: \.isWhitespace)
        guard words.count == 1 || words.count == 2 else {
            throw AssemblerError(.operandCount, line: line, "invalid number of operands for call: expected 1 or 2, got \(words.count)")
        }
        let mode = words.count == 2 ? String(words[0]) : "helper"
        let target = words.count == 2 ? words[1] : words[0]
        switch mode {
        case "helper":
            if target.hasPrefix("%") {
                emit(Instruction(opcode: Opcode.callx, destination: try register(target, line)))
            } else {
                emit(Instruction(opcode: Opcode.call, immediate: try immediate32(target, line)))
            }
        case "local":
            var instruction = Instruction(opcode: Opcode.call, source: Opcode.pseudoCall)
            instruction.immediate = try jumpImmediate(target, line)
            emit(instruction)
        case "runtime", "kfunc":
            emit(Instruction(opcode: Opcode.call, source: Opcode.pseudoKfuncCall, immediate: try immediate32(target, line)))
        default:
            throw AssemblerError(.invalidOperand, line: line, "invalid call mode '\(mode)' (expected helper, local or runtime)")
        }
    }

    /// `lock [fetch] OP[32] [%rD+off], %rS`.
    private mutating func encodeLock(_ rest: Substring, line: Int) throws(AssemblerError) {
        var words = rest.split(whereSeparator: \.isWhitespace).map(String.init)
        var fetch = false
        if words.first == "fetch" {
            fetch = true
            words.removeFirst()
        }
        guard let opWord = words.first else {
            throw AssemblerError(.operandCount, line: line, "Invalid number of operands for lock")
        }
        let is32 = opWord.hasSuffix("32")
        let name = is32 ? String(opWord.dropLast(2)) : opWord
        guard var op = Self.atomicOps[name] else {
            throw AssemblerError(.invalidMnemonic, line: line, "invalid atomic operation 'lock \(opWord)'")
        }
        if fetch {
            guard op & Opcode.atomicFetch == 0 else {
                throw AssemblerError(.invalidOperand, line: line, "'fetch' is implied by lock \(opWord)")
            }
            op |= Opcode.atomicFetch
        }
        var operandText = rest
        for _ in 0..<(fetch ? 2 : 1) {
            let end = operandText.firstIndex(where: \.isWhitespace) ?? operandText.endIndex
            operandText = trimmed(operandText[end...])
        }
        let ops = splitOperands(operandText)
        guard ops.count == 2 else {
            throw AssemblerError(.operandCount, line: line, "Invalid number of operands for lock: expected 2, got \(ops.count)")
        }
        let (dst, offset) = try memory(ops[0], line)
        let src = try register(ops[1], line)
        let size = is32 ? Opcode.sizeW : Opcode.sizeDW
        emit(Instruction(opcode: Opcode.classSTX | Opcode.modeATOMIC | size, destination: dst, source: src, offset: offset, immediate: op))
    }

    // MARK: Operands

    @discardableResult
    private func expectOperands(_ rest: Substring, _ count: Int, _ mnemonic: String, _ line: Int) throws(AssemblerError) -> [Substring] {
        let ops = splitOperands(rest)
        guard ops.count == count else {
            throw AssemblerError(
                .operandCount, line: line,
                "invalid number of operands for \(mnemonic): expected \(count), got \(ops.count)")
        }
        return ops
    }

    private func splitOperands(_ rest: Substring) -> [Substring] {
        if rest.isEmpty { return [] }
        return rest.split(separator: ",", omittingEmptySubsequences: false).map { trimmed($0) }
    }

    private func register(_ text: Substring, _ line: Int) throws(AssemblerError) -> UInt8 {
        guard text.hasPrefix("%r"), let n = UInt8(text.dropFirst(2)), n <= 10, text.count <= 4 else {
            throw AssemblerError(.invalidRegister, line: line, "Invalid register '\(text)' (expected %r0 to %r10)")
        }
        return n
    }

    /// `[%rN]`, `[%rN+off]`, `[%rN-off]`.
    private func memory(_ text: Substring, _ line: Int) throws(AssemblerError) -> (UInt8, Int16) {
        let compact = String(text.filter { !$0.isWhitespace })
        guard compact.hasPrefix("["), compact.hasSuffix("]") else {
            throw AssemblerError(.invalidMemoryOperand, line: line, "invalid memory operand '\(text)' (expected [%rN+offset])")
        }
        let inner = compact.dropFirst().dropLast()
        guard let signIndex = inner.firstIndex(where: { $0 == "+" || $0 == "-" }) else {
            return (try register(inner, line), 0)
        }
        let reg = try register(inner[..<signIndex], line)
        return (reg, try offset16(inner[signIndex...], line))
    }

    private func offset16(_ text: Substring, _ line: Int) throws(AssemblerError) -> Int16 {
        guard let (negative, magnitude) = parseInteger(text) else {
            throw AssemblerError(.offsetRange, line: line, "invalid offset '\(text)'")
        }
        let value: Int64 = negative ? -Int64(clamping: magnitude) : Int64(clamping: magnitude)
        guard magnitude <= 0x8000, let offset = Int16(exactly: value) else {
            throw AssemblerError(.offsetRange, line: line, "offset \(text) does not fit 16 bits (-32768...32767)")
        }
        return offset
    }

    private mutating func jumpOffset(_ text: Substring, _ line: Int) throws(AssemblerError) -> Int16 {
        if text.hasPrefix("+") || text.hasPrefix("-") { return try offset16(text, line) }
        try labelReference(text, line, inImmediate: false)
        return 0
    }

    private mutating func jumpImmediate(_ text: Substring, _ line: Int) throws(AssemblerError) -> Int32 {
        if text.hasPrefix("+") || text.hasPrefix("-") { return try immediate32(text, line) }
        try labelReference(text, line, inImmediate: true)
        return 0
    }

    private mutating func labelReference(_ text: Substring, _ line: Int, inImmediate: Bool) throws(AssemblerError) {
        guard isIdentifier(String(text)) else {
            throw AssemblerError(.invalidLabel, line: line, "invalid jump target '\(text)'")
        }
        fixups.append((output.count, String(text), line, inImmediate))
    }

    private func immediate32(_ text: Substring, _ line: Int) throws(AssemblerError) -> Int32 {
        guard let (negative, magnitude) = parseInteger(text) else {
            throw AssemblerError(.immediateRange, line: line, "invalid immediate '\(text)'")
        }
        let isHex = text.lowercased().contains("0x")
        if negative {
            guard magnitude <= 0x8000_0000 else {
                throw AssemblerError(.immediateRange, line: line, "immediate \(text) does not fit 32 bits")
            }
            return Int32(truncatingIfNeeded: 0 &- magnitude)
        }
        guard magnitude <= (isHex ? 0xFFFF_FFFF : 0x7FFF_FFFF) else {
            throw AssemblerError(.immediateRange, line: line, "immediate \(text) does not fit 32 bits")
        }
        return Int32(truncatingIfNeeded: magnitude)
    }

    private func immediate64(_ text: Substring, _ line: Int) throws(AssemblerError) -> UInt64 {
        guard let (negative, magnitude) = parseInteger(text) else {
            throw AssemblerError(.immediateRange, line: line, "invalid immediate '\(text)'")
        }
        if negative {
            guard magnitude <= 0x8000_0000_0000_0000 else {
                throw AssemblerError(.immediateRange, line: line, "immediate \(text) does not fit 64 bits")
            }
            return 0 &- magnitude
        }
        return magnitude
    }
}

/// `[+-]digits` or `[+-]0xhex`: the sign and the magnitude (nil when it does not parse or overflows 64 bits).
private func parseInteger(_ text: Substring) -> (Bool, UInt64)? {
    var body = text
    var negative = false
    if body.hasPrefix("-") {
        negative = true
        body = body.dropFirst()
    } else if body.hasPrefix("+") {
        body = body.dropFirst()
    }
    if body.hasPrefix("0x") || body.hasPrefix("0X") {
        let digits = body.dropFirst(2)
        guard !digits.isEmpty, let value = UInt64(digits, radix: 16) else { return nil }
        return (negative, value)
    }
    guard !body.isEmpty, body.allSatisfy(\.isASCII), let value = UInt64(body, radix: 10) else { return nil }
    return (negative, value)
}

private func trimmed(_ text: Substring) -> Substring {
    var t = text
    while let first = t.first, first.isWhitespace { t = t.dropFirst() }
    while let last = t.last, last.isWhitespace { t = t.dropLast() }
    return t
}

private func isIdentifier(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, first.isASCII, first == "_" || first == "." || first.properties.isAlphabetic
    else { return false }
    return name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0 == "." || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
}
