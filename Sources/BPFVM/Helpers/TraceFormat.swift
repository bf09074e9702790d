/// The `bpf_trace_printk` format subset the kernel accepts: `%d %i %u %x %X %c %s %p %%` with
/// `l`/`ll` length modifiers, at most three conversions.
enum TraceFormat {
    static func format(_ format: [UInt8], arguments: [UInt64], memory: MemoryMap) -> String? {
        var out = ""
        var i = 0
        var used = 0
        while i < format.count {
            let c = format[i]
            guard c == UInt8(ascii: "%") else {
                out.unicodeScalars.append(Unicode.Scalar(c))
                i += 1
                continue
            }
            i += 1
            guard i < format.count else { return nil }
            if format[i] == UInt8(ascii: "%") {
                out += "%"
                i += 1
                continue
            }
            var longs = 0
            while i < format.count, format[i] == UInt8(ascii: "l") {
                longs += 1
                i += 1
            }
            guard i < format.count, longs <= 2, used < 3 else { return nil }
            let argument = arguments[used]
            used += 1
            let wide = longs > 0
            switch format[i] {
            case UInt8(ascii: "d"), UInt8(ascii: "i"):
                out += wide ? String(Int64(bitPattern: argument)) : String(Int32(truncatingIfNeeded: argument))
            case UInt8(ascii: "u"):
                out += wide ? String(argument) : String(UInt32(truncatingIfNeeded: argument))
            case UInt8(ascii: "x"):
                out += wide ? String(argument, radix: 16) : String(UInt32(truncatingIfNeeded: argument), radix: 16)
            case UInt8(ascii: "X"):
                out += (wide ? String(argument, radix: 16) : String(UInt32(truncatingIfNeeded: argument), radix: 16)).uppercased()
            case UInt8(ascii: "c"):
                out.unicodeScalars.append(Unicode.Scalar(UInt8(truncatingIfNeeded: argument)))
            case UInt8(ascii: "p"):
                out += "0x" + String(argument, radix: 16)
            case UInt8(ascii: "s"):
                var bytes: [UInt8] = []
                var address = argument
                while bytes.count < 256, let b = memory.read(address, count: 1), b[0] != 0 {
                    bytes.append(b[0])
                    address &+= 1
                }
                out += String(decoding: bytes, as: UTF8.self)
            default:
                return nil
            }
            i += 1
        }
        return out
    }
}
