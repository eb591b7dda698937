/// Base64 as RFC 4648 §4 defines it: the standard alphabet, `=` padding, and
/// a strict decoder. `decode` accepts exactly what `encode` produces: no
/// whitespace or line breaks, no missing or stray padding, and no nonzero
/// bits in the unused low bits of the last character (RFC 4648 §3.5), so
/// every byte string has exactly one accepted encoding.
public enum Base64 {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8
    )

    /// 0xFF marks a byte outside the alphabet (including `=`).
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, char) in alphabet.enumerated() {
            table[Int(char)] = UInt8(value)
        }
        return table
    }()

    private static let pad = UInt8(ascii: "=")

    public static func encode(_ bytes: [UInt8]) -> String {
        let outCount = (bytes.count + 2) / 3 * 4
        guard outCount > 0 else { return "" }
        return bytes.withUnsafeBufferPointer { input in
            alphabet.withUnsafeBufferPointer { a in
                String(unsafeUninitializedCapacity: outCount) { out in
                    var i = 0, o = 0
                    while i + 3 <= input.count {
                        let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                        out[o] = a[Int(n >> 18)]
                        out[o + 1] = a[Int(n >> 12 & 0x3F)]
                        out[o + 2] = a[Int(n >> 6 & 0x3F)]
                        out[o + 3] = a[Int(n & 0x3F)]
                        i += 3
                        o += 4
                    }
                    let rest = input.count - i
                    if rest > 0 {
                        let second: UInt32 = rest == 2 ? UInt32(input[i + 1]) : 0
                        let n = UInt32(input[i]) << 16 | second << 8
                        out[o] = a[Int(n >> 18)]
                        out[o + 1] = a[Int(n >> 12 & 0x3F)]
                        out[o + 2] = rest == 2 ? a[Int(n >> 6 & 0x3F)] : pad
                        out[o + 3] = pad
                    }
                    return outCount
                }
            }
        }
    }

    /// The bytes `text` encodes, or nil when it is not canonical Base64.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode(utf8: $0) }
    }

    private static func decode(utf8 input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let count = input.count
        guard count % 4 == 0 else { return nil }
        guard count > 0 else { return [] }
        // Padding: at most two `=`, only at the very end.
        var padding = 0
        if input[count - 1] == pad {
            padding = input[count - 2] == pad ? 2 : 1
        }
        let dataChars = count - padding
        var out: [UInt8] = []
        out.reserveCapacity(dataChars * 3 / 4)
        let ok = values.withUnsafeBufferPointer { v -> Bool in
            var acc: UInt32 = 0
            var bits = 0
            for i in 0..<dataChars {
                let value = v[Int(input[i])]
                if value == 0xFF { return false }   // outside the alphabet, or `=` too early
                acc = acc << 6 | UInt32(value)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
                    acc &= (1 << UInt32(bits)) - 1
                }
            }
            // The leftover bits of a padded quantum must be zero.
            return acc == 0
        }
        return ok ? out : nil
    }
}
