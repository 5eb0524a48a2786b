import Foundation
import GuichetSynth

/// Small two-sample statistics for "can these records be told apart?" tests: a
/// Kolmogorov-Smirnov test for numeric features, a chi-square test for categorical ones, and
/// two simple classifiers (a decision stump and k nearest neighbours) scored on balanced
/// held-out sets.
enum TwoSample {
    /// The two-sided Kolmogorov-Smirnov statistic D and its asymptotic p-value (Numerical
    /// Recipes §14.3: Q_KS((√nₑ + 0.12 + 0.11/√nₑ)·D)). Ties are handled by comparing the two
    /// empirical distribution functions at every distinct value, which makes the test
    /// conservative on discrete data.
    static func kolmogorovSmirnov(_ a: [Double], _ b: [Double]) -> (d: Double, p: Double) {
        guard !a.isEmpty, !b.isEmpty else { return (0, 1) }
        let x = a.sorted(), y = b.sorted()
        var i = 0, j = 0, d = 0.0
        while i < x.count || j < y.count {
            let v = min(i < x.count ? x[i] : .infinity, j < y.count ? y[j] : .infinity)
            while i < x.count && x[i] <= v { i += 1 }
            while j < y.count && y[j] <= v { j += 1 }
            d = max(d, abs(Double(i) / Double(x.count) - Double(j) / Double(y.count)))
        }
        let ne = Double(x.count * y.count) / Double(x.count + y.count)
        let lambda = (ne.squareRoot() + 0.12 + 0.11 / ne.squareRoot()) * d
        return (d, kolmogorovQ(lambda))
    }

    /// Q_KS(λ) = 2 Σ_{j≥1} (−1)^{j−1} e^{−2j²λ²}.
    static func kolmogorovQ(_ lambda: Double) -> Double {
        if lambda < 0.2 { return 1 }
        var sum = 0.0, sign = 1.0
        for j in 1...100 {
            let term = sign * 2 * exp(-2 * Double(j * j) * lambda * lambda)
            sum += term
            if abs(term) < 1e-12 { break }
            sign = -sign
        }
        return min(1, max(0, sum))
    }

    /// Chi-square test of homogeneity of a categorical feature between two samples. Categories
    /// are pooled (most frequent first) until each bin expects at least 5 of the smaller
    /// sample, as the test's approximation needs; the p-value uses the Wilson-Hilferty
    /// approximation of the chi-square distribution.
    static func chiSquare(_ a: [String], _ b: [String]) -> (statistic: Double, df: Int, p: Double) {
        let all = a + b
        let total = Double(all.count), share = Double(min(a.count, b.count)) / total
        var counts: [String: Int] = [:]
        for v in all { counts[v, default: 0] += 1 }
        var bins: [Set<String>] = []
        var current: Set<String> = [], currentCount = 0
        for (value, n) in counts.sorted(by: { ($0.value, $0.key) > ($1.value, $1.key) }) {
            current.insert(value); currentCount += n
            if Double(currentCount) * share >= 5 { bins.append(current); current = []; currentCount = 0 }
        }
        if !current.isEmpty { if bins.isEmpty { bins.append(current) } else { bins[bins.count - 1].formUnion(current) } }
        guard bins.count > 1 else { return (0, 0, 1) }
        func observed(_ s: [String]) -> [Double] { bins.map { bin in Double(s.filter { bin.contains($0) }.count) } }
        let oa = observed(a), ob = observed(b)
        var statistic = 0.0
        for k in bins.indices {
            let column = oa[k] + ob[k]
            for (o, n) in [(oa[k], a.count), (ob[k], b.count)] {
                let expected = column * Double(n) / total
                statistic += (o - expected) * (o - expected) / expected
            }
        }
        let df = bins.count - 1
        let k = Double(df)
        let z = (pow(statistic / k, 1.0 / 3) - (1 - 2 / (9 * k))) / (2 / (9 * k)).squareRoot()
        return (statistic, df, 0.5 * erfc(z / 2.0.squareRoot()))
    }

    /// Mean balanced accuracy, over `rounds` random splits, of a decision stump and of a
    /// 5-nearest-neighbours classifier told to separate `positives` from `negatives`. Each
    /// split trains on half the positives (the stump against the training half of the
    /// negatives, scored by balanced accuracy; k-NN against as many negatives as positives)
    /// and tests on the other half of the positives with as many held-out negatives.
    static func classifierAccuracy(positives: [[Double]], negatives: [[Double]], rounds: Int, seed: UInt64)
        -> (stump: Double, nearestNeighbours: Double) {
        var rng = SplitMix64(seed: seed)
        var stumpSum = 0.0, knnSum = 0.0
        for _ in 0..<rounds {
            let pos = positives.shuffled(using: &rng), neg = negatives.shuffled(using: &rng)
            let half = pos.count / 2
            let trainPos = Array(pos[..<half]), testPos = Array(pos[half...])
            let trainNeg = Array(neg[..<(neg.count / 2)]), testNeg = Array(neg[(neg.count / 2)...].prefix(testPos.count))
            let stump = Stump(positives: trainPos, negatives: trainNeg)
            stumpSum += balancedAccuracy(testPos, testNeg) { stump.isPositive($0) }
            let knn = NearestNeighbours(positives: trainPos, negatives: Array(trainNeg.prefix(trainPos.count)), k: 5)
            knnSum += balancedAccuracy(testPos, testNeg) { knn.isPositive($0) }
        }
        return (stumpSum / Double(rounds), knnSum / Double(rounds))
    }

    static func balancedAccuracy(_ pos: [[Double]], _ neg: [[Double]], _ isPositive: ([Double]) -> Bool) -> Double {
        let tpr = Double(pos.filter(isPositive).count) / Double(pos.count)
        let tnr = Double(neg.filter { !isPositive($0) }.count) / Double(neg.count)
        return (tpr + tnr) / 2
    }

    /// The best single threshold on a single column, by balanced accuracy on the training set.
    struct Stump {
        var column = 0, threshold = Double.infinity, positiveAbove = true

        init(positives: [[Double]], negatives: [[Double]]) {
            var best = -1.0
            let np = Double(positives.count), nn = Double(negatives.count)
            for c in positives[0].indices {
                let labelled = (positives.map { ($0[c], true) } + negatives.map { ($0[c], false) }).sorted { $0.0 < $1.0 }
                var posBelow = 0.0, negBelow = 0.0
                for (i, (value, positive)) in labelled.enumerated() {
                    if positive { posBelow += 1 } else { negBelow += 1 }
                    guard i + 1 == labelled.count || labelled[i + 1].0 != value else { continue }
                    // Split between `value` and the next: below or equal on one side.
                    let above = ((np - posBelow) / np + negBelow / nn) / 2
                    for (score, up) in [(above, true), (1 - above, false)] where score > best {
                        best = score; column = c; threshold = value; positiveAbove = up
                    }
                }
            }
        }

        func isPositive(_ x: [Double]) -> Bool { (x[column] > threshold) == positiveAbove }
    }

    /// k nearest neighbours (Euclidean, columns standardised on the training set), majority vote.
    struct NearestNeighbours {
        let points: [([Double], Bool)]
        let mean: [Double], scale: [Double]
        let k: Int

        init(positives: [[Double]], negatives: [[Double]], k: Int) {
            let all = positives + negatives
            let n = Double(all.count)
            let m = all[0].indices.map { c in all.reduce(0) { $0 + $1[c] } / n }
            let s = all[0].indices.map { c in
                let sd = (all.reduce(0) { $0 + ($1[c] - m[c]) * ($1[c] - m[c]) } / n).squareRoot()
                return sd > 0 ? 1 / sd : 0
            }
            mean = m; scale = s
            points = positives.map { (Self.standardise($0, m, s), true) } + negatives.map { (Self.standardise($0, m, s), false) }
            self.k = k
        }

        static func standardise(_ x: [Double], _ mean: [Double], _ scale: [Double]) -> [Double] {
            x.indices.map { (x[$0] - mean[$0]) * scale[$0] }
        }

        func isPositive(_ x: [Double]) -> Bool {
            let z = Self.standardise(x, mean, scale)
            let nearest = points.map { p in (zip(p.0, z).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }, p.1) }
                .sorted { $0.0 < $1.0 }.prefix(k)
            return nearest.filter(\.1).count * 2 > k
        }
    }
}
