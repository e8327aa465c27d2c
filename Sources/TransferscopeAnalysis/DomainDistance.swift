import Foundation
import TransferscopeCore
import TransferscopeData
import TransferscopeIO
import TransferscopeNN

/// How far a target domain is from the source, as the pre-trained model P sees them: measured
/// on P's pooled features (the global-average-pooled output of its last stage, the input of
/// its fc head), to order targets from near to far when asking how what transfers depends on
/// the target's distance from the source (Neyshabur et al. 2020).
///
/// Two measures:
///
/// - The Fréchet distance (FD) between the Gaussian fits of P's features on the source's test
///   images and on the target's test images (`FrechetDistance`; FID, Heusel et al. 2017, is the
///   same distance on Inception features). It is the standard distance between two image
///   distributions as a network sees them, it needs only P and unlabeled images, and it is 0
///   for the source's own distribution. The study orders targets by it. `relativeFrechet`
///   divides it by Tr S_source, the source features' total variance, so that numbers from
///   different P (different widths and feature scales) are comparable in size.
/// - A linear probe (`LinearProbe`): a softmax regression on P's frozen features of the
///   target's training images, scored on its test images. It measures how useful P's features
///   are for the target's classes rather than how far the domains are, and it is confounded by
///   the target's difficulty (few images, many or similar classes lower it whatever the
///   distance), so it is reported beside FD, with chance level, and orders nothing.
///
/// At most `maximumImages` images are used from each set (a seeded subsample,
/// `RandomStream.distanceSubset`: the same draw for every set of the same size, so a set
/// compared with itself keeps the same images and FD 0). FD's interval is a percentile
/// bootstrap over images of both sets (`FrechetDistance.interval`); it inherits FD's upward
/// finite-sample bias, so for a target in the source's own domain it can lie above the estimate.
public struct DomainDistance: Codable, Sendable, Equatable {
    /// FD = |mu_s - mu_t|^2 + Tr(S_s + S_t - 2 (S_s S_t)^{1/2}) of P's pooled features on the
    /// source's and the target's test images (>= 0 up to rounding).
    public var frechet: Double
    /// The mean term of FD: |mu_s - mu_t|^2.
    public var frechetMeanTerm: Double
    /// The covariance term of FD: Tr(S_s + S_t - 2 (S_s S_t)^{1/2}).
    public var frechetCovarianceTerm: Double
    /// Tr S_s: the total variance of P's pooled features on the source's test images.
    public var sourceTrace: Double
    /// FD / Tr S_s: the distance in units of the source features' total variance.
    public var relativeFrechet: Double
    /// The lower end of FD's percentile bootstrap interval at `level`.
    public var frechetLower: Double
    /// The upper end of FD's percentile bootstrap interval at `level`.
    public var frechetUpper: Double
    /// The interval's confidence level (0.95: a 95% interval).
    public var level: Double
    /// Bootstrap resamples behind the interval.
    public var resamples: Int
    /// The linear probe's accuracy on the target's test images.
    public var probeAccuracy: Double
    /// The linear probe's accuracy on the images it was fitted to.
    public var probeTrainAccuracy: Double
    /// Chance level of the probe: 1 / classes.
    public var chance: Double
    /// The target's classes.
    public var classes: Int
    /// The probe's L2 penalty on its weights (on standardized features).
    public var probeL2: Double
    /// L-BFGS steps the probe's fit took.
    public var probeIterations: Int
    /// Source test images the features were computed on.
    public var sourceImages: Int
    /// Target test images: FD's target side, and the probe's test set.
    public var targetImages: Int
    /// Target training images the probe was fitted to.
    public var probeTrainImages: Int
    /// d: the width of P's pooled features.
    public var featureWidth: Int
    /// The seed of the subsample and the bootstrap.
    public var seed: UInt64

    /// Measures the distance from P's source to a target. All images are prepared to P's input
    /// (P's side, channels and normalization). Uses at most `maximumImages` of each set, fits the
    /// probe with penalty `probeL2` in at most `probeIterations` L-BFGS steps, and bootstraps FD
    /// `resamples` times at `level`; `seed` draws the subsample and the resamples.
    ///
    /// Cost, with n images a side and feature width d: 3 forward passes of P over at most n
    /// images; (resamples + 1) times O(n d^2 + d^3) for FD, the resamples spread over the
    /// workers; the probe O(n d k) per step. The two eigen-solves of each FD dominate from d of a
    /// few hundred (`SymmetricEigen`): one FD takes milliseconds for d = 64 (resnet20) but about
    /// 20 s of one core for d = 512 (resnet18), where 200 resamples are over an hour of CPU time,
    /// so lower `resamples` there.
    public static func compute(
        _ model: ResNet, sourceTest: PreparedImages, targetTrain: PreparedImages, targetTest: PreparedImages,
        maximumImages: Int = 2000, resamples: Int = 200, level: Double = 0.95, probeL2: Double = 1e-3,
        probeIterations: Int = 500, seed: UInt64 = 0, batchSize: Int = 256
    ) throws -> DomainDistance {
        try check(
            model, sets: [("source test", sourceTest), ("target train", targetTrain), ("target test", targetTest)],
            maximumImages: maximumImages, resamples: resamples, level: level, batchSize: batchSize)
        guard targetTrain.classNames == targetTest.classNames else {
            throw AnalysisError.invalidArgument(
                "the target's train and test images have different classes (\(targetTrain.classNames.count) and "
                    + "\(targetTest.classNames.count)); give both splits of one dataset")
        }
        let features = [sourceTest, targetTrain, targetTest].map { images in
            let indices = subsample(count: images.count, maximum: maximumImages, seed: seed)
            return (
                FeatureMatrix.pooled(model, images: images, indices: indices, batchSize: batchSize),
                indices.map { images.labels[$0] }
            )
        }
        let (source, train, test) = (features[0].0, features[1], features[2])
        let sourceFit = FrechetDistance.Gaussian(source)
        let terms = FrechetDistance.terms(sourceFit, FrechetDistance.Gaussian(test.0))
        let frechet = terms.mean + terms.covariance
        let interval = FrechetDistance.interval(source, test.0, resamples: resamples, level: level, seed: seed)
        let classes = targetTrain.classNames.count
        let probe = LinearProbe(
            training: train.0, labels: train.1, classes: classes, l2: probeL2, maximumIterations: probeIterations)
        return DomainDistance(
            frechet: frechet, frechetMeanTerm: terms.mean, frechetCovarianceTerm: terms.covariance,
            sourceTrace: sourceFit.trace, relativeFrechet: frechet / sourceFit.trace, frechetLower: interval.lower,
            frechetUpper: interval.upper, level: level, resamples: resamples,
            probeAccuracy: probe.accuracy(test.0, labels: test.1),
            probeTrainAccuracy: probe.accuracy(train.0, labels: train.1), chance: 1 / Double(classes),
            classes: classes, probeL2: probeL2, probeIterations: probe.iterations, sourceImages: source.count,
            targetImages: test.0.count, probeTrainImages: train.0.count, featureWidth: source.width, seed: seed)
    }

    /// The indices of the images used from a set of `count`: all of them up to `maximum`, else
    /// `maximum` drawn without replacement by `seed`, ascending.
    static func subsample(count: Int, maximum: Int, seed: UInt64) -> [Int] {
        guard count > maximum else { return Array(0..<count) }
        var generator = RandomGenerator(seed: seed).derived(.distanceSubset)
        return Array(Split.shuffle(Array(0..<count), generator: &generator).prefix(maximum)).sorted()
    }

    /// Throws, naming the set or the setting, unless every set fits P's input and has at least
    /// two images, and the settings are in range.
    static func check(
        _ model: ResNet, sets: [(name: String, images: PreparedImages)], maximumImages: Int, resamples: Int,
        level: Double, batchSize: Int
    ) throws {
        let channels = model.configuration.inputChannels
        for (name, images) in sets {
            guard images.channels == channels else {
                throw AnalysisError.invalidArgument(
                    "the \(name) images have \(images.channels) channels and P takes \(channels); prepare them with "
                        + "P's preprocessing")
            }
            guard images.side == sets[0].images.side else {
                throw AnalysisError.invalidArgument(
                    "the \(name) images are \(images.side) pixels wide and the \(sets[0].name) images "
                        + "\(sets[0].images.side); prepare every set with P's preprocessing")
            }
            guard images.count >= 2 else {
                throw AnalysisError.invalidArgument(
                    "the \(name) set has \(images.count) images; a domain distance needs at least 2 per set")
            }
        }
        guard maximumImages >= 2 else {
            throw AnalysisError.invalidArgument("the image cap is \(maximumImages); use at least 2 images per set")
        }
        guard (1...Limits.draws).contains(resamples) else {
            throw AnalysisError.invalidArgument(
                "\(resamples) bootstrap resamples; use 1...\(Limits.draws)")
        }
        guard level > 0 && level < 1 else {
            throw AnalysisError.invalidArgument("the interval level is \(level); use a level in (0, 1), such as 0.95")
        }
        guard batchSize >= 1 else {
            throw AnalysisError.invalidArgument("the batch size is \(batchSize); use at least 1")
        }
    }
}
