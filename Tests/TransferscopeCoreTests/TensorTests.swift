import Testing
import TransferscopeCore

@Suite("Tensors and randomness")
struct TensorTests {
    @Test("value semantics: a copy is unaffected by writes to the original")
    func copyOnWrite() {
        var a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let b = a
        a[flat: 0] = 9
        #expect(b.scalars == [1, 2, 3, 4])
        #expect(a.scalars == [9, 2, 3, 4])
    }

    @Test("NCHW <-> NHWC and OIHW <-> HWIO permutations invert each other")
    func permutations() {
        var generator = RandomGenerator(seed: 1)
        let x = Tensor.randomNormal(shape: [2, 3, 4, 5], using: &generator)
        #expect(x.nchwToNHWC().nhwcToNCHW() == x)
        #expect(x.nchwToNHWC().shape == [2, 4, 5, 3])
        // element [n=1, c=2, h=3, w=4] moves to [1, 3, 4, 2]
        #expect(x.nchwToNHWC()[flat: ((1 * 4 + 3) * 5 + 4) * 3 + 2] == x[flat: ((1 * 3 + 2) * 4 + 3) * 5 + 4])
    }

    @Test("the same seed gives the same stream; normal samples have mean 0 and variance 1")
    func randomness() {
        var a = RandomGenerator(seed: 42)
        var b = RandomGenerator(seed: 42)
        var c = RandomGenerator(seed: 43)
        let sa = (0..<5).map { _ in a.next() }
        let sb = (0..<5).map { _ in b.next() }
        let sc = (0..<5).map { _ in c.next() }
        #expect(sa == sb)
        #expect(sa != sc)
        var g = RandomGenerator(seed: 7)
        let n = 200_000
        var sum = 0.0
        var squares = 0.0
        for _ in 0..<n {
            let v = g.nextNormal()
            sum += v
            squares += v * v
        }
        #expect(abs(sum / Double(n)) < 0.01)
        #expect(abs(squares / Double(n) - 1) < 0.01)
    }
}
