import Foundation
import Testing
import TransferscopeFuzzing

/// The committed seed corpus (Tests/FuzzCorpus, written by make_corpus.py) and a short,
/// seeded mutation run of every reader. A reader that traps takes the test process down, so
/// this suite fails on any crash; the longer runs are `scripts/fuzz.sh` (CI) and libFuzzer.
@Suite("Fuzz targets")
struct FuzzTests {
    static let corpusRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../FuzzCorpus").standardized.path

    static func corpus(_ target: FuzzTarget) throws -> [(name: String, bytes: [UInt8])] {
        let folder = corpusRoot + "/" + target.rawValue
        return try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map { name in
            (name, [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))))
        }
    }

    @Test(
        "Every seed of the corpus is accepted (the corpus exercises the readers past their first check)",
        arguments: FuzzTarget.allCases)
    func seedsAreValid(_ target: FuzzTarget) throws {
        let seeds = try Self.corpus(target)
        #expect(seeds.count >= 2, "\(target): too few seeds")
        for seed in seeds { #expect(target.run(seed.bytes), "\(target): \(seed.name) is refused") }
    }

    @Test("Seeded mutations of the corpus never crash a reader", arguments: FuzzTarget.allCases)
    func mutations(_ target: FuzzTarget) throws {
        var mutator = Mutator(corpus: try Self.corpus(target).map(\.bytes), seed: 15)
        var accepted = 0
        for _ in 0..<1_500 where target.run(mutator.next()) { accepted += 1 }
        // Some mutations keep the file valid and most do not; both outcomes must occur, or
        // the mutations are not reaching past the first check (or the reader refuses everything).
        #expect(accepted > 0 && accepted < 1_500, "\(target): \(accepted) of 1500 accepted")
    }

    @Test("The mutator is deterministic and changes its inputs")
    func mutatorDeterminism() throws {
        let corpus = try Self.corpus(.npy).map(\.bytes)
        var a = Mutator(corpus: corpus, seed: 7)
        var b = Mutator(corpus: corpus, seed: 7)
        let first = (0..<50).map { _ in a.next() }
        #expect(first == (0..<50).map { _ in b.next() })
        #expect(first.filter { !corpus.contains($0) }.count > 40)
    }
}
