import TransferscopeCore

/// Training-time augmentation: random crop after zero padding and horizontal flip (each
/// switchable off). The draws for image `index` in `epoch` depend only on (seed, epoch, index),
/// so the batches are the same whatever the thread count, and a resumed run sees the same ones.
public struct Augmentation: Codable, Sendable, Equatable {
    /// Pixels of padding on each side before the random crop (0: no crop).
    public var padding: Int
    /// Whether each image is mirrored left-right with probability 1/2.
    public var horizontalFlip: Bool

    /// Defaults: pad 4 then crop, and random flips (the usual CIFAR augmentation).
    public init(padding: Int = 4, horizontalFlip: Bool = true) {
        self.padding = padding
        self.horizontalFlip = horizontalFlip
    }

    /// No padding, no crop, no flip: images go to the model unchanged.
    public static let none = Augmentation(padding: 0, horizontalFlip: false)

    /// Whether any draw is made: a crop (padding > 0) or a flip.
    public var isEnabled: Bool { padding > 0 || horizontalFlip }

    /// The crop offset (dy, dx in 0...2*padding) and flip for one image.
    public func draw(seed: UInt64, epoch: Int, index: Int) -> (dy: Int, dx: Int, flip: Bool) {
        var generator = RandomGenerator(seed: seed).derived(.augmentation(epoch: epoch, image: index))
        let range = UInt64(2 * padding + 1)
        let dy = padding > 0 ? Int(generator.next() % range) : padding
        let dx = padding > 0 ? Int(generator.next() % range) : padding
        let flip = horizontalFlip && generator.next() & 1 == 1
        return (dy, dx, flip)
    }
}

/// Copies images into batch tensors, applying augmentation.
public enum BatchLoader {
    /// The images at `indices` as a [B, side, side, C] tensor, augmented with draws keyed by
    /// (seed, epoch, index) when `augmentation` is given; and their labels.
    public static func batch(
        _ images: PreparedImages, indices: [Int], augmentation: Augmentation? = nil, seed: UInt64 = 0, epoch: Int = 0
    ) -> (inputs: Tensor, labels: [Int]) {
        let (side, channels, size) = (images.side, images.channels, images.imageSize)
        var inputs = Tensor(uninitializedShape: [indices.count, side, side, channels])
        let out = UncheckedPointer(inputs.unsafeMutablePointer)
        images.values.withUnsafeBufferPointer { source in
            guard let input = source.baseAddress else {
                preconditionFailure("BatchLoader.batch: no storage for the values of \(images.count) images")
            }
            Parallel.forEachShare(of: indices.count) { _, range in
                for b in range {
                    let index = indices[b]
                    let from = input + index * size
                    let to = out.pointer + b * size
                    guard let augmentation, augmentation.isEnabled else {
                        to.update(from: from, count: size)
                        continue
                    }
                    let (dy, dx, flip) = augmentation.draw(seed: seed, epoch: epoch, index: index)
                    let p = augmentation.padding
                    for y in 0..<side {
                        let sy = y + dy - p
                        for x in 0..<side {
                            let sx = (flip ? side - 1 - x : x) + dx - p
                            let target = to + (y * side + x) * channels
                            if sy >= 0 && sy < side && sx >= 0 && sx < side {
                                let origin = from + (sy * side + sx) * channels
                                for c in 0..<channels { target[c] = origin[c] }
                            } else {
                                for c in 0..<channels { target[c] = images.paddingValues[c] }
                            }
                        }
                    }
                }
            }
        }
        return (inputs, indices.map { images.labels[$0] })
    }

    /// The order of the training images in `epoch`: a permutation fixed by (seed, epoch).
    public static func epochOrder(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var generator = RandomGenerator(seed: seed).derived(.epochOrder(epoch: epoch))
        return Split.shuffle(Array(0..<count), generator: &generator)
    }
}
