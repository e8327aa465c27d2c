import TransferscopeCore

/// Seeded ways to split and subsample a dataset; every selection keeps the dataset's order.
public enum Split {
    /// A stratified split: from every class, `testFraction` of its images (rounded, at least 1
    /// when the class has 2 or more) go to the test part, chosen by `seed`.
    public static func stratified(_ dataset: ImageDataset, testFraction: Double, seed: UInt64) -> DatasetSplits {
        stratified(dataset, testFraction: testFraction, seed: seed, stream: RandomStream.testSplit(label:))
    }

    /// `stratified`, drawing each class's test images from `stream(label)`: the built-in
    /// catalogue keeps its own streams (`RandomStream.catalogueClass`), so that its prepared
    /// datasets stay as they were built.
    static func stratified(
        _ dataset: ImageDataset, testFraction: Double, seed: UInt64, stream: (_ label: Int) -> RandomStream
    ) -> DatasetSplits {
        precondition(
            testFraction > 0 && testFraction < 1, "Split.stratified: testFraction in (0, 1), got \(testFraction)")
        var isTest = [Bool](repeating: false, count: dataset.count)
        for (label, members) in indicesByClass(dataset).enumerated() {
            var generator = RandomGenerator(seed: seed).derived(stream(label))
            let shuffled = shuffle(members, generator: &generator)
            var take = Int((Double(members.count) * testFraction).rounded())
            if members.count >= 2 { take = min(max(take, 1), members.count - 1) }
            for index in shuffled.prefix(take) { isTest[index] = true }
        }
        let all = Array(0..<dataset.count)
        return DatasetSplits(
            train: dataset.subset(all.filter { !isTest[$0] }), test: dataset.subset(all.filter { isTest[$0] }))
    }

    /// At most `perClass` images of every class, chosen by `seed` (few-shot targets).
    public static func perClass(_ dataset: ImageDataset, count perClass: Int, seed: UInt64) -> ImageDataset {
        var keep = [Bool](repeating: false, count: dataset.count)
        for (label, members) in indicesByClass(dataset).enumerated() {
            var generator = RandomGenerator(seed: seed).derived(.classSubset(label: label))
            for index in shuffle(members, generator: &generator).prefix(perClass) { keep[index] = true }
        }
        return dataset.subset((0..<dataset.count).filter { keep[$0] })
    }

    /// About `count` images chosen by `seed` (stratified: each class keeps its share, rounded,
    /// so the total may differ from `count` by up to half the number of classes). With `exact`,
    /// the classes whose shares were rounded furthest the other way give or take one image each
    /// so that exactly `count` are kept. Training runs use the rounded shares (what earlier
    /// versions chose, so their runs resume on the same images); analyses that promise a number
    /// of images (`--images`) use `exact`.
    public static func subsample(_ dataset: ImageDataset, count: Int, seed: UInt64, exact: Bool = false) -> ImageDataset
    {
        guard count < dataset.count else { return dataset }
        var keep = [Bool](repeating: false, count: dataset.count)
        let fraction = Double(count) / Double(dataset.count)
        let classes = indicesByClass(dataset)
        let quotas = classes.map { Double($0.count) * fraction }
        var takes = quotas.map { Int($0.rounded()) }
        var missing = exact ? count - takes.reduce(0, +) : 0
        let byRemainder = quotas.indices.sorted {
            (quotas[$0] - Double(takes[$0]), $1) > (quotas[$1] - Double(takes[$1]), $0)
        }
        for label in byRemainder where missing > 0 && takes[label] < classes[label].count {
            takes[label] += 1
            missing -= 1
        }
        for label in byRemainder.reversed() where missing < 0 && takes[label] > 0 {
            takes[label] -= 1
            missing += 1
        }
        for (label, members) in classes.enumerated() {
            var generator = RandomGenerator(seed: seed).derived(.classSubset(label: label))
            for index in shuffle(members, generator: &generator).prefix(takes[label]) { keep[index] = true }
        }
        return dataset.subset((0..<dataset.count).filter { keep[$0] })
    }

    /// Image indices of each class.
    static func indicesByClass(_ dataset: ImageDataset) -> [[Int]] {
        var result = [[Int]](repeating: [], count: dataset.classNames.count)
        for (index, label) in dataset.labels.enumerated() { result[label].append(index) }
        return result
    }

    /// A Fisher-Yates shuffle of `items`.
    public static func shuffle<T>(_ items: [T], generator: inout RandomGenerator) -> [T] {
        var result = items
        if result.count < 2 { return result }
        for i in stride(from: result.count - 1, to: 0, by: -1) {
            let j = Int(generator.next() % UInt64(i + 1))
            result.swapAt(i, j)
        }
        return result
    }
}
