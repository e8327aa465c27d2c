/// The registry of named random sub-streams: every `RandomGenerator.derived` call names one of
/// these, so that two purposes never draw the same numbers from the same seed.
///
/// A stream's `id` is its family's tag (`Family`, unique by construction) in the top 8 bits and
/// the case's payload in the 56 bits below. Every payload field has a fixed width, checked by a
/// precondition that names the limit keeping it in range, so the ids of two different cases
/// never collide: different families differ in the tag, and within a family the fields are
/// packed side by side without overlap.
///
/// The built-in catalogue's streams (tag 0) keep the numeric ids they had before the registry,
/// so that prepared datasets cached on users' machines stay byte-identical to a fresh build.
/// They draw from the builders' own fixed base seeds (0 for the 80/20 splits of `mnist-5k`,
/// `animal-silhouettes` and `clipart`, 0xC11A47 for the clip-art class selection, 0x5CE7C4 for
/// `sketch-digits`), and their payloads stay below 2^34, so they do not collide with the other
/// families (whose ids are at least 2^56) either.
public enum RandomStream: Hashable, Sendable {
    // Training and data.

    /// The order of the training images in an epoch (`BatchLoader.epochOrder`).
    case epochOrder(epoch: Int)
    /// The crop and flip of one training image in one epoch (`Augmentation.draw`).
    case augmentation(epoch: Int, image: Int)
    /// The fixed training images a run evaluates after each epoch.
    case trainingEvaluationSubset
    /// The images kept from one class by `Split.perClass` and `Split.subsample`.
    case classSubset(label: Int)
    /// The test images taken from one class by `Split.stratified` (datasets split on loading).
    case testSplit(label: Int)
    /// One image of a procedural dataset.
    case proceduralImage(Int)
    /// The samples shown in one row (class) of a picture grid.
    case gridRow(Int)

    // Analyses.

    /// The training images an interpolation evaluates.
    case interpolationTrainSubset
    /// The batch order that re-estimates BatchNorm statistics.
    case batchNormReestimation
    /// The points on the curve drawn while training a Bezier curve's control point.
    case bezierDraws
    /// One random direction of the basin-width analysis.
    case basinDirection(Int)
    /// The noise added to one module at one noise level (`sigmaMillionths`, sigma in millionths)
    /// for one draw of the module-criticality analysis.
    case criticalityDraw(module: Int, draw: Int, sigmaMillionths: Int)
    /// The images a domain distance keeps of each set it is given more of than its cap.
    case distanceSubset
    /// The source and target images drawn for one bootstrap resample of a domain distance.
    case distanceResample(Int)

    // Statistics.

    /// The item indices drawn for one bootstrap resample (`Bootstrap`).
    case resample(Int)
    /// The shuffle of one Monte Carlo permutation of a permutation test (`PermutationTest`).
    case permutation(Int)

    // The built-in catalogue (fixed, pre-registry ids; see above).

    /// The images of one class chosen while building a catalogue dataset: the 80/20 split of a
    /// catalogue entry (base seed 0) and the clip-art per-class selection (base seed 0xC11A47).
    /// Id: the label.
    case catalogueClass(label: Int)
    /// One image of `sketch-digits` (split 1: train, 2: test). Id: split << 32 | image.
    case catalogueSketchDigit(split: Int, image: Int)

    /// The tag of a family of streams: the top 8 bits of each of its ids.
    public enum Family: UInt8, CaseIterable, Sendable {
        case catalogue = 0
        case epochOrder, augmentation, trainingEvaluationSubset, classSubset, testSplit, proceduralImage, gridRow
        case interpolationTrainSubset, batchNormReestimation, bezierDraws, basinDirection, criticalityDraw
        case resample, permutation
        case distanceSubset, distanceResample
    }

    /// The family the stream belongs to.
    public var family: Family {
        switch self {
        case .epochOrder: .epochOrder
        case .augmentation: .augmentation
        case .trainingEvaluationSubset: .trainingEvaluationSubset
        case .classSubset: .classSubset
        case .testSplit: .testSplit
        case .proceduralImage: .proceduralImage
        case .gridRow: .gridRow
        case .interpolationTrainSubset: .interpolationTrainSubset
        case .batchNormReestimation: .batchNormReestimation
        case .bezierDraws: .bezierDraws
        case .basinDirection: .basinDirection
        case .criticalityDraw: .criticalityDraw
        case .resample: .resample
        case .permutation: .permutation
        case .distanceSubset: .distanceSubset
        case .distanceResample: .distanceResample
        case .catalogueClass, .catalogueSketchDigit: .catalogue
        }
    }

    /// Bits of an id below the family tag.
    public static let payloadBits = 56

    /// The stream's number, distinct for every two different streams: the family's tag in the
    /// top 8 bits, the payload below.
    public var id: UInt64 { UInt64(family.rawValue) << UInt64(Self.payloadBits) | payload }

    /// The case's fields packed into the low 56 bits (each checked against its width).
    private var payload: UInt64 {
        switch self {
        case .epochOrder(let epoch):
            return Self.field(epoch, bits: 56, "epochOrder epoch (Limits.epochs)")
        case .augmentation(let epoch, let image):
            return Self.field(epoch, bits: 24, "augmentation epoch (Limits.epochs)") << 32
                | Self.field(image, bits: 32, "augmentation image (Limits.images)")
        case .trainingEvaluationSubset, .interpolationTrainSubset, .batchNormReestimation, .bezierDraws,
            .distanceSubset:
            return 0
        case .classSubset(let label):
            return Self.field(label, bits: 56, "classSubset label (Limits.classes)")
        case .testSplit(let label):
            return Self.field(label, bits: 56, "testSplit label (Limits.classes)")
        case .proceduralImage(let index):
            return Self.field(index, bits: 56, "proceduralImage index (Limits.images)")
        case .gridRow(let row):
            return Self.field(row, bits: 56, "gridRow row (Limits.classes)")
        case .basinDirection(let index):
            return Self.field(index, bits: 56, "basinDirection index (Limits.draws)")
        case .criticalityDraw(let module, let draw, let sigmaMillionths):
            // A ResNet within Limits.stages and Limits.blocksPerStage has far fewer than 2^20
            // modules; sigma lies in [0, 1], so at most 1,000,000 millionths < 2^20.
            return Self.field(module, bits: 20, "criticalityDraw module (Limits.stages x Limits.blocksPerStage)") << 36
                | Self.field(draw, bits: 16, "criticalityDraw draw (Limits.draws)") << 20
                | Self.field(sigmaMillionths, bits: 20, "criticalityDraw sigma (in [0, 1])")
        case .resample(let index):
            return Self.field(index, bits: 56, "resample index (Limits.draws)")
        case .permutation(let index):
            return Self.field(index, bits: 56, "permutation index (Limits.draws)")
        case .distanceResample(let index):
            return Self.field(index, bits: 56, "distanceResample index (Limits.draws)")
        case .catalogueClass(let label):
            // Below 2^32, so apart from the sketch digits' ids (2^32 and up).
            return Self.field(label, bits: 32, "catalogueClass label (Limits.classes)")
        case .catalogueSketchDigit(let split, let image):
            precondition(split == 1 || split == 2, "RandomStream.catalogueSketchDigit: split 1 or 2, got \(split)")
            return UInt64(split) << 32 | Self.field(image, bits: 32, "catalogueSketchDigit image (Limits.images)")
        }
    }

    /// `value` as an unsigned field of `bits` bits; a value outside 0..<2^bits is a programmer
    /// mistake (the limit named in `what` keeps it in range).
    private static func field(_ value: Int, bits: Int, _ what: String) -> UInt64 {
        precondition(value >= 0 && value < 1 << bits, "RandomStream: \(what) \(value) outside 0..<2^\(bits)")
        return UInt64(value)
    }
}
