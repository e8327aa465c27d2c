import TransferscopeCore

/// A seeded mutation fuzzer: each input is a corpus file changed by one to four edits chosen
/// for the formats at hand (binary headers with sizes and offsets, and text with numbers):
/// bit flips, bytes and 2/4/8-byte integers set to edge values (little- and big-endian), a run of
/// digits replaced by an edge number ("-1", "1e300", "nan", 2^63-1, ...), chunks cut, copied or
/// spliced from another corpus file, and truncation. The same seed gives the same inputs.
public struct Mutator {
    var generator: RandomGenerator
    let corpus: [[UInt8]]

    /// A mutator over `corpus` (at least one file), whose edits are drawn from `seed`.
    public init(corpus: [[UInt8]], seed: UInt64) {
        precondition(!corpus.isEmpty, "Mutator: an empty corpus")
        self.corpus = corpus
        generator = RandomGenerator(seed: seed)
    }

    static let edgeIntegers: [UInt64] = [
        0, 1, 2, 3, 4, 7, 8, 16, 255, 256, 0x7fff, 0x8000, 0xffff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 1 << 32,
        1 << 40,
        1 << 62, UInt64(Int64.max), UInt64(bitPattern: Int64.min), UInt64.max, UInt64(bitPattern: -2),
    ]

    static let edgeNumbers: [String] = [
        "0", "-0", "1", "-1", "2", "3", "-5", "255", "256", "4096", "4097", "65535", "100000", "2147483648",
        "4294967296",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551616",
        "99999999999999999999", "1e300", "-1e300", "1e-300", "nan", "NaN", ".nan", "inf", "-inf", ".inf", "0.5", "1.5",
        "",
    ]

    mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(generator.next() % UInt64(bound)) }

    /// The next input.
    public mutating func next() -> [UInt8] {
        var bytes = corpus[below(corpus.count)]
        for _ in 0...below(4) { mutate(&bytes) }
        return bytes
    }

    mutating func mutate(_ bytes: inout [UInt8]) {
        let choice = below(9)
        if bytes.isEmpty && choice != 8 {
            bytes = [UInt8(truncatingIfNeeded: generator.next())]
            return
        }
        switch choice {
        case 0:  // flip a bit
            let i = below(bytes.count)
            bytes[i] ^= 1 << UInt8(below(8))
        case 1:  // an edge byte
            bytes[below(bytes.count)] =
                [0, 1, 0x7f, 0x80, 0xff, 0x2d, 0x30, 0x39, 0x2c, 0x5b, 0x5d, 0x22, 0x0a][below(13)]
        case 2:  // an edge integer of 2, 4 or 8 bytes, either byte order
            let width = [2, 4, 8][below(3)]
            guard bytes.count >= width else { return }
            let value = Self.edgeIntegers[below(Self.edgeIntegers.count)]
            let at = below(bytes.count - width + 1)
            let bigEndian = below(2) == 0
            for k in 0..<width {
                let shift = UInt64(8 * (bigEndian ? width - 1 - k : k))
                bytes[at + k] = UInt8(truncatingIfNeeded: value >> shift)
            }
        case 3, 4:  // a run of digits replaced by an edge number (text: JSON headers, YAML, CSV, NPY dicts)
            let digits = bytes.indices.filter { (0x30...0x39).contains(bytes[$0]) }
            guard !digits.isEmpty else { return }
            var start = digits[below(digits.count)]
            var end = start + 1
            while start > 0 && (0x30...0x39).contains(bytes[start - 1]) { start -= 1 }
            while end < bytes.count && (0x30...0x39).contains(bytes[end]) { end += 1 }
            bytes.replaceSubrange(start..<end, with: Array(Self.edgeNumbers[below(Self.edgeNumbers.count)].utf8))
        case 5:  // cut a chunk
            let start = below(bytes.count)
            bytes.removeSubrange(start..<min(bytes.count, start + 1 + below(64)))
        case 6:  // copy a chunk elsewhere
            let start = below(bytes.count)
            let chunk = Array(bytes[start..<min(bytes.count, start + 1 + below(64))])
            bytes.insert(contentsOf: chunk, at: below(bytes.count + 1))
        case 7:  // splice: the head of this input, the tail of another
            let other = corpus[below(corpus.count)]
            guard !other.isEmpty else { return }
            bytes = Array(bytes[..<below(bytes.count + 1)]) + Array(other[below(other.count)...])
        default:  // truncate
            bytes.removeLast(bytes.isEmpty ? 0 : below(bytes.count) + 1)
        }
    }
}
