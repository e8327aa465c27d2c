import ArgumentParser
import Foundation
import TransferscopeData

/// Options that choose and read a dataset.
struct DataOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The dataset: a built-in name (see `transferscope data list`), procedural[:shift=0.5,...], a folder "
                + "of class subfolders, idx:IMAGES,LABELS[,TEST_IMAGES,TEST_LABELS], npy:... or csv:TRAIN[,TEST].",
            valueName: "spec"))
    var data: String

    @Option(
        parsing: .unconditional,
        help: "Fraction of each class held out as the test split when the data has no test split of its own.")
    var testFraction = 0.2

    @Option(parsing: .unconditional, help: "Seed of that held-out split.")
    var splitSeed: UInt64 = 0

    @Option(
        parsing: .unconditional,
        help: "Side of the square images read from image folders (default: the model's input side, else 32).")
    var folderImageSize: Int?

    @Option(
        help: ArgumentHelp(
            "How folder images of any size become squares: 'pad' (whole image, aspect kept, padded with white) or "
                + "'crop' (torchvision's evaluation transform: shorter side to size / 0.875, centre crop).",
            valueName: "pad|crop"))
    var folderFit = ImageFolderReader.Fit.pad

    @Flag(help: "Leave corrupt images in folders out (counted and reported) instead of stopping.")
    var skipCorrupt = false

    func validate() throws {
        guard testFraction > 0 && testFraction < 1 else {
            throw ValidationError("--test-fraction must lie in (0, 1), got \(testFraction)")
        }
        if let folderImageSize {
            try FlagCheck.require(folderImageSize, in: FlagCheck.imageSide, "--folder-image-size")
        }
    }

    /// The source and its splits; reports skipped files on standard error. Folders are read at
    /// `--folder-image-size`, else at `modelSide` (the side a checkpoint records), else at 32.
    func load(modelSide: Int? = nil) throws -> (source: DatasetSource, splits: DatasetSplits) {
        let source = try DatasetSource(parsing: data)
        var options = DatasetSource.Options()
        options.testFraction = testFraction
        options.splitSeed = splitSeed
        options.folderImageSide = folderImageSize ?? modelSide ?? 32
        options.folderFit = folderFit
        options.skipCorrupt = skipCorrupt
        let (splits, skipped) = try source.load(options: options)
        if !skipped.isEmpty {
            printError("skipped \(skipped.count) corrupt image(s), e.g. \(skipped[0].path): \(skipped[0].reason)")
        }
        return (source, splits)
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    var standardError = StandardError()
    print(text, to: &standardError)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
