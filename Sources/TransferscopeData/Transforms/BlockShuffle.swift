import TransferscopeCore
import TransferscopeIO

/// The block shuffle of analysis 1 (Neyshabur et al. 2020, section 3.1): the image is cut into
/// b x b blocks and the blocks are permuted by ONE permutation fixed by the seed, the same for
/// every image of the dataset, train and test alike. b = side is the unshuffled image; b = 1
/// permutes pixels (all channels of a pixel move together); `pixel` permutes all C*H*W values.
public struct BlockShuffle: Codable, Sendable, Equatable {
    /// What is permuted: b x b blocks of pixels (`blocks(size: b)`), or every value alone (`pixel`).
    public enum Kind: Codable, Sendable, Equatable {
        case blocks(size: Int)
        case pixel
    }

    /// Blocks of which size, or single values.
    public var kind: Kind
    /// The side of the (square) images shuffled, in pixels; a block size must divide it.
    public var side: Int
    /// C: channels of the images shuffled (1 or 3).
    public var channels: Int
    /// Seed of the one permutation shared by every image.
    public var seed: UInt64
    /// Output value j is input value `permutation[j]` (indices into one HWC image).
    public let permutation: [Int]

    /// A shuffle of `blockSize` blocks; fails when `blockSize` does not divide `side`.
    public init(blockSize: Int, side: Int, channels: Int, seed: UInt64) throws {
        guard blockSize >= 1, side % blockSize == 0 else {
            throw DataError.invalidSpecification(
                "block size \(blockSize) does not divide the image side \(side); use one of "
                    + "\(Self.blockSizes(side: side).map(String.init).joined(separator: ", "))"
            )
        }
        kind = .blocks(size: blockSize)
        self.side = side
        self.channels = channels
        self.seed = seed
        let grid = side / blockSize
        var generator = RandomGenerator(seed: seed)
        let order = Split.shuffle(Array(0..<(grid * grid)), generator: &generator)
        var permutation = [Int](repeating: 0, count: side * side * channels)
        for y in 0..<side {
            for x in 0..<side {
                let block = (y / blockSize) * grid + x / blockSize
                let source = order[block]
                let sourceY = (source / grid) * blockSize + y % blockSize
                let sourceX = (source % grid) * blockSize + x % blockSize
                for c in 0..<channels {
                    permutation[(y * side + x) * channels + c] = (sourceY * side + sourceX) * channels + c
                }
            }
        }
        self.permutation = permutation
    }

    /// A permutation of all C*H*W values.
    public init(pixelShuffleSide side: Int, channels: Int, seed: UInt64) {
        kind = .pixel
        self.side = side
        self.channels = channels
        self.seed = seed
        var generator = RandomGenerator(seed: seed)
        permutation = Split.shuffle(Array(0..<(side * side * channels)), generator: &generator)
    }

    /// Every block size that divides `side`, largest (no shuffle) first.
    public static func blockSizes(side: Int) -> [Int] {
        (1...side).filter { side % $0 == 0 }.reversed()
    }

    /// `image` [side, side, channels] shuffled.
    public func apply<T>(_ image: [T]) -> [T] {
        precondition(
            image.count == permutation.count,
            "BlockShuffle: image of \(image.count) values, permutation of \(permutation.count)")
        return permutation.map { image[$0] }
    }

    /// `image` restored from its shuffled form.
    public func invert<T>(_ shuffled: [T]) -> [T] {
        precondition(
            shuffled.count == permutation.count,
            "BlockShuffle: image of \(shuffled.count) values, permutation of \(permutation.count)")
        var image = shuffled
        for (j, source) in permutation.enumerated() { image[source] = shuffled[j] }
        return image
    }

    // The permutation is derived from the other fields; it is not stored in configurations.
    enum CodingKeys: String, CodingKey { case kind, side, channels, seed }

    /// Reads kind, side, channels and seed, checks them and recomputes the permutation.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(Kind.self, forKey: .kind)
        let side = try container.decode(Int.self, forKey: .side)
        let channels = try container.decode(Int.self, forKey: .channels)
        let seed = try container.decode(UInt64.self, forKey: .seed)
        guard (1...Limits.imageSide).contains(side), channels == 1 || channels == 3 else {
            throw DataError.invalidSpecification(
                "block shuffle of \(side)x\(side)x\(channels) images: the side must lie in "
                    + "1...\(Limits.imageSide) and the channels be 1 or 3"
            )
        }
        switch kind {
        case .blocks(let size): try self.init(blockSize: size, side: side, channels: channels, seed: seed)
        case .pixel: self.init(pixelShuffleSide: side, channels: channels, seed: seed)
        }
    }

    /// Writes kind, side, channels and seed; the permutation follows from them and is not written.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(side, forKey: .side)
        try container.encode(channels, forKey: .channels)
        try container.encode(seed, forKey: .seed)
    }

    /// Equal kind, side, channels and seed (and so equal permutations).
    public static func == (a: BlockShuffle, b: BlockShuffle) -> Bool {
        a.kind == b.kind && a.side == b.side && a.channels == b.channels && a.seed == b.seed
    }
}
