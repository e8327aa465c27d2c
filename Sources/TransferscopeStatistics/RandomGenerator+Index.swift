import TransferscopeCore

/// Uniform integers in 0..<bound, by Lemire's multiply-and-reject method (Lemire 2019, "Fast
/// random integer generation in an interval"): the high word of the 64 x 64-bit product of a
/// random word and the bound, redrawing the few words whose low half would bias it. Written out
/// here, not `Int.random(in:)`, so that the bits a seed gives cannot change with the standard
/// library; the rejection threshold 2^64 mod bound is computed once per bound.
struct UniformIndex {
    /// The exclusive upper end.
    let bound: UInt64
    /// 2^64 mod bound: products whose low word is below it are redrawn.
    let threshold: UInt64

    /// A sampler of 0..<bound.
    init(below bound: Int) {
        precondition(bound > 0, "UniformIndex: the bound must be positive, got \(bound)")
        self.bound = UInt64(bound)
        threshold = (0 &- self.bound) % self.bound
    }

    /// The next index.
    func next(using generator: inout RandomGenerator) -> Int {
        while true {
            let (high, low) = generator.next().multipliedFullWidth(by: bound)
            if low >= threshold { return Int(high) }
        }
    }
}
