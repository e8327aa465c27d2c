import Testing
import TransferscopeStatistics

/// Student's t from the incomplete beta function, checked against textbook tables and scipy.
@Suite("Statistics: Student t")
struct StudentTTests {
    /// t(0.975; nu) from any statistics textbook's table (3 decimals).
    @Test(
        "97.5% quantiles match the textbook table",
        arguments: [(1.0, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (10, 2.228), (30, 2.042), (1e6, 1.960)])
    func textbookQuantiles(nu: Double, expected: Double) {
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: nu) - expected) < 0.0005)
    }

    @Test("Quantiles to 1e-9 against scipy.stats.t.ppf, including the far tail and fractional df")
    func scipyQuantiles() {
        // scipy 1.17: t.ppf(0.975, 2), t.ppf(0.95, 2), t.ppf(0.9995, 3), t.ppf(0.99, 0.5), t.ppf(0.975, 30).
        let cases: [(p: Double, nu: Double, expected: Double)] = [
            (0.975, 2, 4.302652729749462), (0.95, 2, 2.9199855803537242), (0.9995, 3, 12.923978636687961),
            (0.99, 0.5, 1028.4910104716198), (0.975, 30, 2.0422724563012378),
        ]
        for (p, nu, expected) in cases {
            let value = StudentT.quantile(p, degreesOfFreedom: nu)
            #expect(abs(value - expected) <= 1e-9 * expected, "t(\(p); \(nu)) = \(value), expected \(expected)")
        }
        #expect(abs(StudentT.quantile(0.95, degreesOfFreedom: 2) - 2.920) < 0.0005)
        #expect(abs(StudentT.cdf(1.5, degreesOfFreedom: 7.3) - 0.912218453598457) < 1e-12)
    }

    @Test("Infinite degrees of freedom is the standard normal")
    func normalLimit() {
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: .infinity) - 1.959963984540054) < 1e-12)
        #expect(abs(StudentT.cdf(1, degreesOfFreedom: .infinity) - 0.8413447460685429) < 1e-14)
    }

    @Test("Symmetry, and the cdf inverts the quantile", arguments: [1.0, 2, 3, 4.5, 9, 17.776, 120])
    func inverse(nu: Double) {
        for p in [0.0005, 0.01, 0.025, 0.05, 0.3, 0.5, 0.7, 0.95, 0.975, 0.999] {
            let t = StudentT.quantile(p, degreesOfFreedom: nu)
            #expect(abs(StudentT.cdf(t, degreesOfFreedom: nu) - p) < 1e-12, "nu = \(nu), p = \(p)")
            #expect(t == -StudentT.quantile(1 - p, degreesOfFreedom: nu), "nu = \(nu), p = \(p)")
        }
        #expect(StudentT.cdf(0, degreesOfFreedom: nu) == 0.5)
    }

    @Test("The density is the derivative of the cdf (central differences)")
    func densityIsDerivative() {
        for nu in [1.0, 3, 25] {
            for t in [-2.5, -0.3, 0, 1.1, 4] {
                let h = 1e-5
                let slope =
                    (StudentT.cdf(t + h, degreesOfFreedom: nu) - StudentT.cdf(t - h, degreesOfFreedom: nu)) / (2 * h)
                #expect(abs(slope - StudentT.density(t, degreesOfFreedom: nu)) < 1e-8, "nu = \(nu), t = \(t)")
            }
        }
    }
}
