import Foundation
import Testing

/// Two tiny runs trained once through `transferscope train` (seeds 0 and 1, epoch-0 and epoch-1
/// checkpoints kept) that the eval and analyze tests share.
struct TrainedRuns: Sendable {
    /// 10 classes of 8x8 gray procedural images: 64 to train, 32 to test.
    static let data = "procedural:train=64,test=32,side=8"
    /// A shifted 3-class target for the experiments that fine-tune.
    static let target = "procedural:train=48,test=24,side=8,classes=3,shift=0.6,seed=4"
    static let testImages = 32
    static let trainImages = 64
    static let classes = 10

    /// The label of test image `i`: the procedural test split numbers its images from 2^40, image k
    /// of class k mod classes.
    static func testLabel(_ i: Int) -> Int { (i + (1 << 40)) % classes }

    /// The options of every tiny training run.
    static let recipe = [
        "--model", "resnet8", "--widths", "4,8,8", "--epochs", "1", "--batch-size", "16", "--train-eval-size", "0",
        "--threads", "2",
    ]

    let directory: String
    var first: String { directory + "/A" }
    var second: String { directory + "/B" }
    func final(_ run: String) -> String { run + "/final.safetensors" }
    func start(_ run: String) -> String { run + "/checkpoints/epoch-0000.safetensors" }

    /// Trained on first use; every test of the suite reads the same runs.
    static let shared: Result<TrainedRuns, any Error> = Result {
        let directory = try temporaryDirectory("runs")
        for (name, seed) in [("A", "0"), ("B", "1")] {
            try CLI.run(
                ["train", "--data", data] + recipe + [
                    "--seed", seed, "--checkpoint-epochs", "0,1", "--out", directory + "/" + name,
                ])
        }
        return TrainedRuns(directory: directory)
    }

    static func get() throws -> TrainedRuns { try shared.get() }
}
