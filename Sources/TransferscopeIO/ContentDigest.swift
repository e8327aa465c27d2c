import Foundation

/// A 128-bit digest for cache keys: two FNV-1a 64 passes with different offsets over the parts
/// fed to it, each part followed by a zero byte (so `["ab", "c"]` and `["a", "bc"]` differ).
/// Fast and deterministic across machines and runs; not for security.
public struct ContentDigest: Sendable {
    private var a: UInt64 = 0xcbf2_9ce4_8422_2325
    private var b: UInt64 = 0x8422_2325_cbf2_9ce4

    /// An empty digest (the two FNV-1a offset bases); feed it with `add(_:)`.
    public init() {}

    /// Feeds `part` (its UTF-8 bytes, then a zero byte). O(bytes).
    public mutating func add(_ part: String) {
        for byte in part.utf8 { mix(byte) }
        mix(0)
    }

    /// The digest so far as 32 lowercase hex digits.
    public var hex: String { String(format: "%016llx%016llx", a, b) }

    /// The digest of `parts`, fed in order.
    public static func hex(_ parts: [String]) -> String {
        var digest = ContentDigest()
        for part in parts { digest.add(part) }
        return digest.hex
    }

    private mutating func mix(_ byte: UInt8) {
        a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 &+ 0x9E37_79B9
    }
}
