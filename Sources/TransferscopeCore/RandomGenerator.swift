import Foundation

/// A seeded, repeatable pseudo-random generator (xoshiro256**, Blackman and Vigna 2018),
/// the only source of randomness in Transferscope.
///
/// The state is expanded from the seed with SplitMix64, so nearby seeds give unrelated streams.
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose whole stream is determined by `seed`.
    public init(seed: UInt64) {
        var splitMix = seed
        func next() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (next(), next(), next(), next())
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform sample in [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A standard normal sample (Box-Muller; one of the pair is discarded so the stream
    /// position depends only on the number of calls).
    public mutating func nextNormal() -> Double {
        var u1 = nextUniform()
        while u1 <= 0 { u1 = nextUniform() }
        let u2 = nextUniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A generator for a named sub-stream, so that adding draws in one place does not shift
    /// the numbers drawn in another. Distinct streams (`RandomStream.id`) give distinct seeds:
    /// multiplying by an odd constant is a bijection of 64-bit words.
    public func derived(_ stream: RandomStream) -> RandomGenerator {
        var copy = self
        return RandomGenerator(seed: copy.next() ^ (stream.id &* 0x9E37_79B9_7F4A_7C15))
    }
}

extension Tensor {
    /// A tensor of independent normal samples with the given mean and standard deviation.
    public static func randomNormal(
        shape: [Int], mean: Float = 0, standardDeviation: Float = 1, using generator: inout RandomGenerator
    ) -> Tensor {
        var result = Tensor(uninitializedShape: shape)
        let p = result.unsafeMutablePointer
        for i in 0..<result.count { p[i] = mean + standardDeviation * Float(generator.nextNormal()) }
        return result
    }

    /// A tensor of independent samples uniform in [lowerBound, upperBound).
    public static func randomUniform(
        shape: [Int], lowerBound: Float, upperBound: Float, using generator: inout RandomGenerator
    ) -> Tensor {
        var result = Tensor(uninitializedShape: shape)
        let p = result.unsafeMutablePointer
        let width = Double(upperBound - lowerBound)
        for i in 0..<result.count { p[i] = lowerBound + Float(generator.nextUniform() * width) }
        return result
    }
}
