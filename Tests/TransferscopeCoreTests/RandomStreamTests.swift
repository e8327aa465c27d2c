import Testing
import TransferscopeCore

/// One registry of named random streams (issue 16): ids never collide between two streams.
@Suite("Random streams")
struct RandomStreamTests {
    /// Every case, each with its smallest and largest payloads (and a few in between).
    static let samples: [RandomStream] = {
        let big = (1 << 56) - 1
        var streams: [RandomStream] = [
            .trainingEvaluationSubset, .interpolationTrainSubset, .batchNormReestimation, .bezierDraws,
            .distanceSubset,
        ]
        for n in [0, 1, 2, 59_297, (1 << 32) - 1, big] {
            streams += [
                .epochOrder(epoch: n), .classSubset(label: n), .testSplit(label: n), .proceduralImage(n),
                .gridRow(n), .basinDirection(n), .resample(n), .permutation(n), .distanceResample(n),
            ]
        }
        for epoch in [0, 1, (1 << 24) - 1] {
            for image in [0, 1, 59_297, (1 << 32) - 1] { streams.append(.augmentation(epoch: epoch, image: image)) }
        }
        for module in [0, 1, (1 << 20) - 1] {
            for draw in [0, 1, (1 << 16) - 1] {
                for sigma in [0, 1, 1_000_000, (1 << 20) - 1] {
                    streams.append(.criticalityDraw(module: module, draw: draw, sigmaMillionths: sigma))
                }
            }
        }
        for label in [0, 1, 2, (1 << 32) - 1] { streams.append(.catalogueClass(label: label)) }
        for split in [1, 2] {
            for image in [0, 1, (1 << 32) - 1] { streams.append(.catalogueSketchDigit(split: split, image: image)) }
        }
        return streams
    }()

    @Test("Every family has its own tag, and every family is sampled")
    func familyTags() {
        let tags = RandomStream.Family.allCases.map(\.rawValue)
        #expect(Set(tags).count == tags.count)
        #expect(Set(Self.samples.map(\.family)) == Set(RandomStream.Family.allCases))
        for stream in Self.samples {
            #expect(stream.id >> UInt64(RandomStream.payloadBits) == UInt64(stream.family.rawValue), "\(stream)")
        }
    }

    @Test("Different streams with extreme payloads have different ids")
    func distinctIds() {
        let distinct = Set(Self.samples)
        var owners: [UInt64: RandomStream] = [:]
        for stream in distinct {
            if let other = owners[stream.id] { Issue.record("\(stream) and \(other) share id \(stream.id)") }
            owners[stream.id] = stream
        }
        #expect(owners.count == distinct.count)
    }

    @Test("The collisions of the ad-hoc ids are gone")
    func formerCollisions() {
        func first(_ stream: RandomStream, seed: UInt64) -> [UInt64] {
            var generator = RandomGenerator(seed: seed).derived(stream)
            return (0..<4).map { _ in generator.next() }
        }
        // The trainer's 0xE7A1 was the augmentation stream of image 59,297 in epoch 0.
        let evaluation = RandomStream.trainingEvaluationSubset
        let crop = RandomStream.augmentation(epoch: 0, image: 0xE7A1)
        #expect(evaluation.id != crop.id)
        #expect(first(evaluation, seed: 5) != first(crop, seed: 5))
        // Split's per-class streams were the crops of the first images of epoch 0, and the
        // stratified split and the per-class selection drew the same numbers for a class.
        for label in 0..<10 {
            let subset = RandomStream.classSubset(label: label)
            for other in [
                RandomStream.augmentation(epoch: 0, image: label), .testSplit(label: label), .gridRow(label),
                .proceduralImage(label), .basinDirection(label), .epochOrder(epoch: label),
                .resample(label), .permutation(label),
            ] {
                #expect(subset.id != other.id && first(subset, seed: 0) != first(other, seed: 0), "\(other)")
            }
        }
    }

    @Test("The catalogue's streams keep their pre-registry ids and numbers (prepared datasets stay valid)")
    func catalogueStreams() {
        /// `derived` as it was, on a raw id.
        func legacy(seed: UInt64, id: UInt64) -> [UInt64] {
            var base = RandomGenerator(seed: seed)
            var generator = RandomGenerator(seed: base.next() ^ (id &* 0x9E37_79B9_7F4A_7C15))
            return (0..<4).map { _ in generator.next() }
        }
        func current(seed: UInt64, _ stream: RandomStream) -> [UInt64] {
            var generator = RandomGenerator(seed: seed).derived(stream)
            return (0..<4).map { _ in generator.next() }
        }
        for label in 0..<12 {
            #expect(RandomStream.catalogueClass(label: label).id == UInt64(label))
            #expect(current(seed: 0, .catalogueClass(label: label)) == legacy(seed: 0, id: UInt64(label)))
            #expect(current(seed: 0xC11A47, .catalogueClass(label: label)) == legacy(seed: 0xC11A47, id: UInt64(label)))
        }
        for split in [1, 2] {
            for image in [0, 1, 4_999] {
                let id = UInt64(split) << 32 | UInt64(image)
                #expect(RandomStream.catalogueSketchDigit(split: split, image: image).id == id)
                #expect(
                    current(seed: 0x5CE7C4, .catalogueSketchDigit(split: split, image: image))
                        == legacy(seed: 0x5CE7C4, id: id))
            }
        }
    }
}
