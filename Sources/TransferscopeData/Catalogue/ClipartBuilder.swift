import Foundation
import TransferscopeCore

/// The `clipart` dataset: Open Clip Art PNGs (Debian's openclipart-png) of the 10 largest
/// top-level categories (leaving out `special` gradients/patterns and `unsorted`), composited on
/// white, fitted into 32x32, near-duplicates removed (an image whose 16x16 average hash lies
/// within Hamming distance 8 of an earlier one's, in any category, is dropped), at most 400
/// images per class (seeded), split 80/20.
///
/// The hash is 256 bits because the 64-bit 8x8 hash collides too often among thousands of
/// mostly-white icons: across categories it dropped 80% of `transportation`, most of them
/// not duplicates at all.
public enum ClipartBuilder {
    static let root = "/usr/share/openclipart/png"
    static let excluded: Set<String> = ["special", "unsorted"]
    /// The side of the square clip-art images, in pixels.
    public static let side = 32
    static let classCount = 10
    static let maximumPerClass = 400

    static func build() throws -> DatasetSplits {
        let all = try ImageFolderReader.listing(root).filter { !excluded.contains($0.className) }
        let chosen = all.sorted { ($0.files.count, $1.className) > ($1.files.count, $0.className) }.prefix(classCount)
            .sorted { $0.className < $1.className }
        let files = chosen.enumerated().flatMap { label, entry in entry.files.map { ($0, label) } }
        // Some PNGs in the package are broken; they are left out (and counted in the summary).
        let decoded = try ImageFolderReader.decode(files.map(\.0), side: side, fit: .pad, skipCorrupt: true)
        var kept: [(pixels: [UInt8], label: Int)] = []
        var hashes: [[UInt64]] = []
        for (item, (_, label)) in zip(decoded, files) {
            guard let image = item.image else { continue }
            let hash = averageHash(image.pixels)
            if hashes.contains(where: { hammingDistance($0, hash) <= 8 }) { continue }
            hashes.append(hash)
            kept.append((image.pixels, label))
        }
        var byClass = [[Int]](repeating: [], count: chosen.count)
        for (index, item) in kept.enumerated() { byClass[item.label].append(index) }
        var selected: [Int] = []
        for (label, members) in byClass.enumerated() {
            var generator = RandomGenerator(seed: 0xC11A47).derived(.catalogueClass(label: label))
            selected += Split.shuffle(members, generator: &generator).prefix(maximumPerClass)
        }
        selected.sort()
        let dataset = ImageDataset(
            name: "clipart", height: side, width: side, channels: 3, pixels: selected.flatMap { kept[$0].pixels },
            labels: selected.map { kept[$0].label },
            classNames: chosen.map { $0.className.replacingOccurrences(of: "_", with: " ") })
        return Split.stratified(dataset, testFraction: 0.2, seed: 0, stream: RandomStream.catalogueClass(label:))
    }

    /// The 16x16 average hash of a [side, side, 3] image (4 words): bit i set where block i is
    /// brighter than the image's mean.
    static func averageHash(_ rgb: [UInt8]) -> [UInt64] {
        let gray = Resize.gray(fromRGB: rgb[...])
        let small = Resize.area(gray[...], height: side, width: side, channels: 1, toHeight: 16, toWidth: 16)
        let mean = small.reduce(0) { $0 + Int($1) } / small.count
        var hash = [UInt64](repeating: 0, count: 4)
        for (i, value) in small.enumerated() where Int(value) > mean { hash[i / 64] |= 1 << UInt64(i % 64) }
        return hash
    }

    static func hammingDistance(_ a: [UInt64], _ b: [UInt64]) -> Int {
        zip(a, b).reduce(0) { $0 + ($1.0 ^ $1.1).nonzeroBitCount }
    }
}
