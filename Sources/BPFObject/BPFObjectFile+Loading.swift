extension BPFObjectFile {
    /// Relocates and links one program (libbpf's `bpf_object__relocate`): map and global-data
    /// `ld_imm64`s, `.kconfig` externs, kfunc calls, bpf-to-bpf calls (appending the reached
    /// `.text` subprograms), and CO-RE relocations against `options.target`.
    /// - Throws: `BPFObjectError` naming the instruction and the symbol that cannot be relocated.
    public func load(_ programName: String, options: LoadOptions = LoadOptions()) throws(BPFObjectError) -> LoadedProgram {
        guard let program = program(named: programName) else {
            throw BPFObjectError(.notFound, "no program named \(programName) (programs: \(programs.map(\.name).joined(separator: ", ")))")
        }
        var maps = self.maps
        var kconfigMap: Int?
        var kconfigOffsets: [String: Int] = [:]
        let kconfigExterns = externs.filter { $0.kind == .kconfig }
        if !kconfigExterns.isEmpty {
            var layout: [UInt8] = []
            for ext in kconfigExterns {
                let size = ext.btfID.flatMap { btf?.size(of: $0) } ?? 8
                guard [1, 2, 4, 8].contains(size) else { throw BPFObjectError(.unsupported, "__kconfig extern \(ext.name) of \(size) bytes") }
                while layout.count % size != 0 { layout.append(0) }
                kconfigOffsets[ext.name] = layout.count
                guard let value = options.kconfig[ext.name] ?? (ext.isWeak ? 0 : nil) else {
                    throw BPFObjectError(.notFound, "unresolved __kconfig extern \(ext.name): the kernel profile has no value for it")
                }
                for i in 0..<size { layout.append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
            }
            kconfigMap = maps.count
            maps.append(
                MapDefinition(
                    name: Self.internalMapName(objectName: name, section: ".kconfig"), type: .array, keySize: 4, valueSize: layout.count,
                    maxEntries: 1, flags: 0x80 | 0x400, initialValue: layout, valueTypeID: btf?.firstID(named: ".kconfig", kind: .dataSection)))
        }
        let mapIndexBySection = Dictionary(uniqueKeysWithValues: dataSections.map { ($0.value, $0.key) })
        let mapsSection = elf.section(named: ".maps")?.index
        let relocator = btf.map { CORERelocator(local: $0, target: options.target) }

        var out: [Instruction] = []
        var used: Set<Int> = []
        var kfuncCalls: [LoadedProgram.KfuncCall] = []
        var funcInfos: [LoadedProgram.FunctionInfo] = []
        var lines: [BTFExt.LineInfo] = []
        var coreResults: [LoadedProgram.CORERelocationResult] = []
        // Functions appended so far: (section, start) → new start.
        var placed: [Int: [Int: Int]] = [:]
        var pendingCalls: [(at: Int, section: Int, target: Int)] = []
        var queue: [Function] = []
        guard let entry = functions.first(where: { $0.sectionIndex == program.sectionIndex && $0.start == program.start }) else {
            throw BPFObjectError(.notFound, "program \(programName) has no function symbol")
        }
        queue.append(entry)

        while !queue.isEmpty {
            let function = queue.removeFirst()
            if placed[function.sectionIndex]?[function.start] != nil { continue }
            let base = out.count
            placed[function.sectionIndex, default: [:]][function.start] = base
            let section = elf.sections[function.sectionIndex]
            let sectionName = section.name
            var code = Instruction.decode(section.data[(function.start * 8)..<((function.start + function.count) * 8)]).instructions
            let relocations = Dictionary(
                (elf.relocations[function.sectionIndex] ?? []).map { ($0.offset / 8, $0) }, uniquingKeysWith: { a, _ in a })
            var i = 0
            while i < code.count {
                let absolute = function.start + i
                let where_ = "\(programName): instruction \(base + i) (\(sectionName)+\(absolute * 8))"
                if let relocation = relocations[absolute] {
                    let symbol = elf.symbols[relocation.symbolIndex]
                    guard symbol.isUndefined || Int(symbol.sectionIndex) < elf.sections.count else {
                        throw BPFObjectError(.badRelocation, "\(where_): relocation symbol \(symbol.name) has special section index 0x\(String(symbol.sectionIndex, radix: 16))")
                    }
                    var insn = code[i]
                    if insn.isWideLoad {
                        guard i + 1 < code.count else { throw BPFObjectError(.badRelocation, "\(where_): ld_imm64 cut in half") }
                        if symbol.isUndefined {
                            guard let ext = externs.first(where: { $0.name == symbol.name }) else {
                                throw BPFObjectError(.badRelocation, "\(where_): unknown extern \(symbol.name)")
                            }
                            switch ext.kind {
                            case .kconfig:
                                insn.source = 6
                                insn.immediate = Int32(kconfigMap!)
                                code[i + 1].immediate = Int32(kconfigOffsets[ext.name] ?? 0)
                                used.insert(kconfigMap!)
                            case .kfunc:  // bpf_ksym_exists(kfunc)
                                let found = !options.resolveKfuncsInTarget || options.target.firstID(named: ext.name, kind: .function) != nil
                                if !found && !ext.isWeak { throw BPFObjectError(.notFound, "\(where_): kfunc \(ext.name) is not in the target BTF") }
                                insn.source = found ? 3 : 0
                                insn.immediate = found ? Int32(bitPattern: options.target.firstID(named: ext.name, kind: .function) ?? ext.btfID ?? 1) : 0
                                code[i + 1].immediate = 0
                            case .ksymVariable:
                                throw BPFObjectError(.unsupported, "\(where_): __ksym variable \(ext.name) is not supported")
                            }
                        } else if Int(symbol.sectionIndex) == mapsSection {
                            guard let index = maps.firstIndex(where: { $0.name == symbol.name }) else {
                                throw BPFObjectError(.badRelocation, "\(where_): \(symbol.name) in .maps is not a BTF-defined map")
                            }
                            insn.source = 5
                            insn.immediate = Int32(index)
                            used.insert(index)
                        } else if let index = mapIndexBySection[Int(symbol.sectionIndex)] {
                            let offset = Int64(insn.immediate) &+ Int64(truncatingIfNeeded: symbol.value & 0xFFFF_FFFF_FFFF)
                            guard offset >= 0, offset < Int64(maps[index].valueSize) else {
                                throw BPFObjectError(.badRelocation, "\(where_): offset \(offset) outside \(maps[index].name)")
                            }
                            insn.source = 6
                            insn.immediate = Int32(index)
                            code[i + 1].immediate = Int32(offset)
                            used.insert(index)
                        } else if elf.sections[Int(symbol.sectionIndex)].isExecutable && (insn.source == 0 || insn.source == 4) {
                            // A callback pointer (clang emits src 0; libbpf makes it BPF_PSEUDO_FUNC).
                            insn.source = 4
                            let target = (Int(truncatingIfNeeded: symbol.value & 0xFFFF_FFFF) + Int(insn.immediate)) / 8
                            pendingCalls.append((base + i, Int(symbol.sectionIndex), target))
                        } else {
                            throw BPFObjectError(.badRelocation, "\(where_): ld_imm64 to \(symbol.name) in section \(elf.sections[Int(symbol.sectionIndex)].name) is not supported")
                        }
                        code[i] = insn
                        i += 2
                        continue
                    }
                    if insn.opcode == 0x85 {
                        if symbol.isUndefined {
                            guard let ext = externs.first(where: { $0.name == symbol.name }), ext.kind == .kfunc else {
                                throw BPFObjectError(.badRelocation, "\(where_): call to unknown extern \(symbol.name)")
                            }
                            let targetID = options.target.firstID(named: ext.name, kind: .function)
                            if options.resolveKfuncsInTarget && targetID == nil && !ext.isWeak {
                                throw BPFObjectError(.notFound, "\(where_): kfunc \(ext.name) is not in the target BTF")
                            }
                            insn.source = 2
                            insn.offset = 0
                            insn.immediate = Int32(bitPattern: targetID ?? ext.btfID ?? 0)
                            kfuncCalls.append(
                                LoadedProgram.KfuncCall(instruction: base + i, name: ext.name, prototype: ext.btfID.map { btf![$0].sizeOrType }, isWeak: ext.isWeak))
                        } else if insn.source == 1 {
                            let target = Int(truncatingIfNeeded: (symbol.value / 8) & 0xFFFF_FFFF) + Int(insn.immediate) + 1
                            pendingCalls.append((base + i, Int(symbol.sectionIndex), target))
                        } else {
                            throw BPFObjectError(.badRelocation, "\(where_): call relocation to \(symbol.name) on a non-pseudo call")
                        }
                        code[i] = insn
                    } else if relocation.type != 3 && relocation.type != 4 {  // ABS32/ABS64 (debug data) never hit code
                        throw BPFObjectError(.badRelocation, "\(where_): relocation to \(symbol.name) on opcode 0x\(String(code[i].opcode, radix: 16))")
                    }
                } else if code[i].opcode == 0x85 && code[i].source == 1 {
                    // A call inside the same section without a relocation.
                    pendingCalls.append((base + i, function.sectionIndex, absolute + Int(code[i].immediate) + 1))
                }
                i += code[i].isWideLoad ? 2 : 1
            }

            // CO-RE relocations of this function.
            if let relocator, let records = btfExt?.coreRelocations[sectionName] {
                for record in records where (function.start..<(function.start + function.count)).contains(record.instruction) {
                    let k = record.instruction - function.start
                    let resolution = try relocator.resolve(record)
                    try Self.patch(&code, at: k, with: resolution, kind: record.kind, where: "\(programName): instruction \(base + k)")
                    coreResults.append(
                        LoadedProgram.CORERelocationResult(
                            instruction: base + k, kind: record.kind, typeName: relocator.local.typeName(record.typeID),
                            accessString: record.accessString, localValue: resolution.localValue, targetValue: resolution.targetValue))
                }
            }
            if let ext = btfExt {
                for f in ext.funcInfo[sectionName] ?? [] where (function.start..<(function.start + function.count)).contains(f.instruction) {
                    funcInfos.append(
                        LoadedProgram.FunctionInfo(instruction: base + f.instruction - function.start, name: btf?[f.typeID].name ?? "", typeID: f.typeID))
                }
                for var l in ext.lineInfo[sectionName] ?? [] where (function.start..<(function.start + function.count)).contains(l.instruction) {
                    l.instruction = base + l.instruction - function.start
                    lines.append(l)
                }
            }
            out += code

            // Queue the callees.
            for call in pendingCalls where placed[call.section]?[call.target] == nil {
                guard let callee = functions.first(where: { $0.sectionIndex == call.section && $0.start == call.target }) else {
                    throw BPFObjectError(.badRelocation, "\(programName): call at instruction \(call.at) targets \(elf.sections[call.section].name)+\(call.target * 8), which starts no function")
                }
                if !queue.contains(callee) { queue.append(callee) }
            }
        }
        for call in pendingCalls {
            guard let newStart = placed[call.section]?[call.target] else {
                throw BPFObjectError(.badRelocation, "\(programName): call at instruction \(call.at) was not linked")
            }
            out[call.at].immediate = Int32(newStart - call.at - 1)
        }
        return LoadedProgram(
            name: program.name, type: program.type, sectionName: program.sectionName, license: license, instructions: out, maps: maps,
            usedMaps: used.sorted(), kfuncCalls: kfuncCalls, functions: funcInfos, lineInfo: lines, coreRelocations: coreResults, btf: btf)
    }

    /// Writes a CO-RE result into an instruction (libbpf's `bpf_core_patch_insn`).
    static func patch(
        _ code: inout [Instruction], at k: Int, with resolution: CORERelocator.Resolution, kind: BTFExt.CORERelocationKind, where place: String
    ) throws(BPFObjectError) {
        guard k >= 0, k < code.count else { throw BPFObjectError(.badCORE, "\(place): CO-RE relocation outside the function") }
        guard let value = resolution.targetValue else {
            code[k] = Instruction(opcode: 0x85, immediate: 0xBAD2310)
            if k + 1 < code.count && code[k].isWideLoad { code[k + 1] = Instruction(opcode: 0x85, immediate: 0xBAD2310) }
            return
        }
        var insn = code[k]
        switch insn.opcode & 7 {
        case 4, 7:  // ALU, ALU64 with an immediate
            guard insn.opcode & 0x08 == 0 else { throw BPFObjectError(.badCORE, "\(place): CO-RE relocation on a register ALU instruction") }
            guard value <= UInt64(UInt32.max) || Int64(bitPattern: value) >= Int64(Int32.min) else {
                throw BPFObjectError(.badCORE, "\(place): CO-RE value \(value) does not fit an immediate")
            }
            insn.immediate = Int32(truncatingIfNeeded: value)
        case 1, 2, 3:  // LDX, ST, STX
            guard value <= UInt64(Int16.max) else { throw BPFObjectError(.badCORE, "\(place): CO-RE offset \(value) does not fit a 16-bit offset") }
            insn.offset = Int16(value)
            if kind == .fieldByteOffset, resolution.targetSize != resolution.localSize, resolution.targetSize > 0 {
                let sizeBits: UInt8? = [1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18][resolution.targetSize]
                guard let sizeBits, insn.opcode & 0xE0 == 0x60 else {
                    throw BPFObjectError(.badCORE, "\(place): field size changed from \(resolution.localSize) to \(resolution.targetSize) bytes")
                }
                insn.opcode = (insn.opcode & ~0x18) | sizeBits
            }
        case 0 where insn.isWideLoad:
            guard k + 1 < code.count else { throw BPFObjectError(.badCORE, "\(place): ld_imm64 cut in half") }
            insn.immediate = Int32(truncatingIfNeeded: value)
            code[k + 1].immediate = Int32(truncatingIfNeeded: value >> 32)
        default:
            throw BPFObjectError(.badCORE, "\(place): CO-RE relocation on opcode 0x\(String(insn.opcode, radix: 16))")
        }
        code[k] = insn
    }
}
