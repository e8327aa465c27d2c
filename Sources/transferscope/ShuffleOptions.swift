import ArgumentParser
import TransferscopeCore
import TransferscopeData
import TransferscopeIO

/// Options of the block shuffle of analysis 1.
struct ShuffleOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help:
            """
            Permute b x b blocks of every image with one fixed permutation (b must divide the image side; b = side: no \
            shuffle).
            """
    )
    var blockShuffle: Int?

    @Flag(help: "Permute all C*H*W values of every image with one fixed permutation.")
    var pixelShuffle = false

    @Option(parsing: .unconditional, help: "Seed of the shuffle permutation (the same for train and test images).")
    var shuffleSeed: UInt64 = 0

    func validate() throws {
        if blockShuffle != nil && pixelShuffle {
            throw ValidationError("give --block-shuffle or --pixel-shuffle, not both")
        }
        try FlagCheck.require(blockShuffle, in: 1...Limits.imageSide, "--block-shuffle")
    }

    /// The shuffle for images of `side` and `channels`, or nil.
    func shuffle(side: Int, channels: Int) throws -> BlockShuffle? {
        if pixelShuffle { return BlockShuffle(pixelShuffleSide: side, channels: channels, seed: shuffleSeed) }
        guard let b = blockShuffle else { return nil }
        do {
            return try BlockShuffle(blockSize: b, side: side, channels: channels, seed: shuffleSeed)
        } catch let error as DataError {
            throw ValidationError("--block-shuffle: " + (error.errorDescription ?? ""))
        }
    }
}
