/// Equivalence: showing that an effect is small, not merely failing to show that it is large.
public enum Equivalence {
    /// Two one-sided tests (TOST, Schuirmann 1987): the effect lies within (-margin, +margin) at
    /// level alpha when both H0: effect <= -margin and H0: effect >= +margin are rejected at
    /// alpha, which is exactly when the (1 - 2 alpha) confidence interval lies inside
    /// (-margin, +margin).
    ///
    /// The test's level is therefore set by the interval the caller passes: a 90% interval gives
    /// a 5% TOST (`Estimates.mean(values, level: 0.90)`); a 95% interval gives a stricter 2.5%
    /// one. An unbounded interval is never equivalent.
    public static func tost(_ estimate: Estimate, margin: Double) -> Bool {
        precondition(margin > 0, "Equivalence.tost: the margin must be positive, got \(margin)")
        return estimate.interval.lower > -margin && estimate.interval.upper < margin
    }

    /// The default equivalence margin for a difference of two accuracies measured on
    /// `testImages` images: two standard errors of a difference of two independent proportions,
    ///
    ///     margin = 2 sqrt(2 p (1 - p) / n),   p = accuracy, n = testImages.
    ///
    /// Why: an accuracy measured on n images has standard error sqrt(p (1 - p) / n) from the draw
    /// of the test set alone, so two models of equal true accuracy, each measured on its own n
    /// images, differ by about sqrt(2) times that, and by up to two such standard errors about
    /// 95% of the time. A difference smaller than the margin is below what a test set of this
    /// size can resolve, so calling it "no difference" claims nothing the data could contradict.
    /// For example 10,000 images at 90% accuracy give 0.0085 (0.85 points).
    public static func accuracyMargin(testImages: Int, accuracy: Double) -> Double {
        precondition(testImages > 0, "Equivalence.accuracyMargin: the test set must have images, got \(testImages)")
        precondition(accuracy >= 0 && accuracy <= 1, "Equivalence.accuracyMargin: accuracy in [0, 1], got \(accuracy)")
        return 2 * (2 * accuracy * (1 - accuracy) / Double(testImages)).squareRoot()
    }
}
