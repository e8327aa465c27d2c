import Foundation
import Testing
import TransferscopeCore
import TransferscopeNN

@testable import TransferscopeAnalysis

private func model(seed: UInt64, classes: Int = 5) -> ResNet {
    var generator = RandomGenerator(seed: seed)
    return ResNet(
        ResNetConfiguration.named("resnet8", inputChannels: 1, classes: classes, widths: [4, 8, 8])!,
        generator: &generator)
}

@Suite("Parameter distances and mistakes")
struct DistanceAndMistakeTests {
    @Test("Distances: zero for identical models, symmetric, per-module squares sum to the total")
    func distances() throws {
        let (a, b) = (model(seed: 1), model(seed: 2))
        #expect(try ParameterDistance.between(a, model(seed: 1)).total == 0)
        let ab = try ParameterDistance.between(a, b)
        let ba = try ParameterDistance.between(b, a)
        #expect(ab.total > 0 && abs(ab.total - ba.total) < 1e-12)
        #expect(zip(ab.modules, ba.modules).allSatisfy { abs($0.distance - $1.distance) < 1e-12 })
        #expect(
            abs(ab.modules.reduce(0) { $0 + $1.distance * $1.distance } - ab.total * ab.total) < 1e-9 * ab.total
                * ab.total)
        #expect(ab.modules.map(\.name) == ["stem", "layer1.0", "layer2.0", "layer3.0", "fc"])
        // Moving one module moves only that module's distance; the relative distance uses B's norm.
        let c = model(seed: 1)
        let weight = c.modules[2].state.parameters[0].parameter
        let p = weight.value.unsafeMutablePointer
        for i in 0..<weight.value.count { p[i] *= 2 }
        let ac = try ParameterDistance.between(c, a)
        #expect(ac.modules.filter { $0.distance > 0 }.map(\.name) == ["layer2.0"])
        // Relative to B's norm (a's), computed here in Double from its parameters.
        let normA = a.namedState.parameters.flatMap(\.parameter.value.scalars).reduce(0) {
            $0 + Double($1) * Double($1)
        }.squareRoot()
        #expect(
            abs(ac.total - ac.modules[2].distance) < 1e-12 && abs(ac.relative - ac.total / normA) < 1e-12 * ac.relative)
        #expect(throws: AnalysisError.self) { try ParameterDistance.between(a, model(seed: 1, classes: 3)) }
    }

    @Test("Mistakes: the four cells sum to the set, a model against itself never disagrees")
    func mistakes() throws {
        let labels = [0, 1, 2, 0, 1, 2, 0, 1]
        let a = [0, 1, 2, 1, 1, 0, 2, 1]
        let b = [0, 2, 2, 0, 1, 1, 2, 0]
        let ambiguity = (0..<8).map { Double($0) }
        let table = try Mistakes.compare(a, b, labels: labels, ambiguity: ambiguity)
        #expect(table.total == labels.count)
        let counts: [Int] = [table.bothRight, table.onlyARight, table.onlyBRight, table.bothWrong]
        #expect(counts == [3, 2, 1, 2])
        #expect(table.sameWrongLabel == 1)  // sample 6: both said 2
        #expect(table.samples == [[0, 2, 4], [1, 7], [3], [5, 6]])
        #expect(table.meanAmbiguity[3] == 5.5)
        let itself = try Mistakes.compare(a, a, labels: labels, ambiguity: ambiguity)
        #expect(itself.onlyARight == 0 && itself.onlyBRight == 0 && itself.sameWrongLabel == itself.bothWrong)
        #expect(itself.meanAmbiguity[1] == nil)
        #expect(throws: AnalysisError.self) {
            try Mistakes.compare(a, Array(b.dropLast()), labels: labels, ambiguity: ambiguity)
        }
    }

    @Test("Ambiguity is the entropy of the mean prediction: 0 when all agree with certainty, log K at most")
    func ambiguity() throws {
        let certain: [[Float]] = [[1, 0, 0], [0, 1, 0]]
        let values = try Mistakes.ambiguity(of: [certain, certain])
        #expect(values == [0, 0])
        let disagreeing = try Mistakes.ambiguity(of: [[[1, 0, 0]], [[0, 1, 0]]])
        #expect(abs(disagreeing[0] - log(2)) < 1e-12)
        let uniform = try Mistakes.ambiguity(of: [[[1.0 / 3, 1.0 / 3, 1.0 / 3]]])
        #expect(abs(uniform[0] - log(3)) < 1e-6)
    }
}
