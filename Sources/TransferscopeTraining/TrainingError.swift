import Foundation

/// What can stop a training run; each message says what to do.
public enum TrainingError: Error, LocalizedError, Equatable {
    case invalidConfiguration(String)
    case nonFiniteLoss(step: Int, epoch: Int, lastGoodCheckpoint: String?)
    case differentConfiguration(directory: String)
    case corruptRunState(path: String, reason: String)
    case incompatibleData(String)
    case noFinishedRun(directory: String, missing: String)
    /// The run was started by another version of Transferscope (its random streams or its
    /// choice of images may differ), so resuming it would not give the run either version makes.
    case otherVersion(directory: String, version: String)

    /// The message for the user: what stopped the run and what to do next.
    public var errorDescription: String? {
        switch self {
        case .invalidConfiguration(let message):
            return message
        case .nonFiniteLoss(let step, let epoch, let checkpoint):
            let kept =
                checkpoint.map { "The last good state is kept in \($0)." }
                ?? "No epoch had completed, so nothing was kept."
            return
                "the loss became NaN or infinite at step \(step) (epoch \(epoch + 1)). \(kept) Lower the "
                + "learning rate (--lr; lr, pt_lr or rit_lr in a study), add warm-up (--warmup-epochs), or check "
                + "the data."
        case .differentConfiguration(let directory):
            return
                "\(directory) holds a run with a different configuration (see its config.json). Use another "
                + "output directory; for `train`, --restart discards that run."
        case .corruptRunState(let path, let reason):
            return
                "the saved run state \(path) cannot be used: \(reason). Start the run again: `train --restart` "
                + "for a run of your own; for a run inside a study or experiment, delete its directory "
                + "(\((path as NSString).deletingLastPathComponent)/..) and run again."
        case .incompatibleData(let message):
            return message
        case .noFinishedRun(let directory, let missing):
            return
                "\(directory) holds no finished training run (\(missing) is missing). Give the directory of a "
                + "finished `train` run; for a study, `study run` it first."
        case .otherVersion(let directory, let version):
            return "\(directory) holds an unfinished run started by Transferscope \(version); this is "
                + "\(TransferscopeVersion.current), which may draw other random numbers. Start it again "
                + "(`train --restart`, or delete the directory inside a study or experiment)."
        }
    }
}
