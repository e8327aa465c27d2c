import Foundation
import TransferscopeAnalysis
import TransferscopeIO
import TransferscopeTraining

/// Reading a study's `analyses:` (each analysis with its settings, or `false` to skip it).
extension StudyFile {
    static func readAnalyses(_ reader: Reader) throws -> Study.Analyses {
        var analyses = Study.Analyses()
        let f = try reader.mapping(allowed: [
            "shuffle", "mistakes", "cka", "distances", "interpolation", "criticality", "checkpoints", "sizes", "domain",
        ])
        /// nil when the analysis is turned off with `false`; the settings mapping otherwise (`true` or `{}`: defaults).
        func settings(_ key: String, allowed: [String]) throws -> [String: Reader]?? {
            guard let v = f[key] else { return .some(nil) }
            if let on = try? v.bool() { return on ? .some([:]) : .none }
            return .some(try v.mapping(allowed: allowed))
        }
        switch try settings("shuffle", allowed: ["block_sizes", "pixel", "epochs", "seeds"]) {
        case .none: analyses.shuffle = nil
        case .some(let fields?):
            var s = Study.Shuffle()
            if let v = fields["block_sizes"] {
                s.blockSizes = try v.list().map { try $0.integer(1...Limits.imageSide) }
                guard Set(s.blockSizes ?? []).count == s.blockSizes?.count else {
                    throw v.fail("`block_sizes` needs distinct sizes, e.g. [28, 7, 1]")
                }
            }
            if let v = fields["pixel"] { s.pixel = try v.bool() }
            if let v = fields["epochs"] { s.epochs = try v.integer(1...Limits.epochs) }
            if let v = fields["seeds"] { s.seeds = try seeds(v) }
            analyses.shuffle = s
        case .some(nil): break
        }
        if let v = f["mistakes"] { analyses.mistakes = try v.bool() }
        if let v = f["distances"] { analyses.distances = try v.bool() }
        switch try settings("cka", allowed: ["every_block", "images", "kernel", "bandwidth", "debiased"]) {
        case .none: analyses.cka = nil
        case .some(let fields?):
            var s = Study.CKASettings()
            if let v = fields["every_block"] { s.everyBlock = try v.bool() }
            if let v = fields["images"] { s.images = try v.integer(4...Limits.images) }
            if let v = fields["kernel"] { s.kernel = try v.choice(CKA.KernelName.self) }
            if let v = fields["bandwidth"] { s.bandwidth = try v.number(above: 0) }
            if let v = fields["debiased"] { s.debiased = try v.bool() }
            analyses.cka = s
        case .some(nil): break
        }
        switch try settings("interpolation", allowed: ["points", "bn", "train_images", "bn_batches"]) {
        case .none: analyses.interpolation = nil
        case .some(let fields?):
            var s = Study.InterpolationSettings()
            if let v = fields["points"] { s.points = try v.integer(3...Limits.gridPoints) }
            if let v = fields["bn"] { s.batchNorm = try v.choice(BatchNormMode.self) }
            if let v = fields["train_images"] { s.trainImages = try v.integer(10...Limits.images) }
            if let v = fields["bn_batches"] { s.batchNormBatches = try v.integer(1...Limits.statisticsBatches) }
            analyses.interpolation = s
        case .some(nil): break
        }
        switch try settings("criticality", allowed: ["alphas", "sigmas", "samples", "tolerance", "train_images"]) {
        case .none: analyses.criticality = nil
        case .some(let fields?):
            var s = Study.CriticalitySettings()
            if let v = fields["alphas"] { s.alphas = try v.integer(2...Limits.gridPoints) }
            if let v = fields["sigmas"] {
                s.sigmas = try v.list().map { try $0.number(above: 0, atMost: 1) }
            }
            if let v = fields["samples"] { s.samples = try v.integer(1...Limits.draws) }
            if let v = fields["tolerance"] { s.tolerance = try v.number(atLeast: 0, atMost: 1) }
            if let v = fields["train_images"] { s.trainImages = try v.integer(10...Limits.images) }
            analyses.criticality = s
        case .some(nil): break
        }
        switch try settings("checkpoints", allowed: ["source_epochs", "epochs"]) {
        case .none: analyses.checkpoints = nil
        case .some(let fields?):
            var s = Study.CheckpointSettings()
            if let v = fields["source_epochs"] {
                s.sourceEpochs = try v.list().map { try $0.integer(0...Limits.epochs) }
                guard Set(s.sourceEpochs ?? []).count == s.sourceEpochs?.count else {
                    throw v.fail("`source_epochs` needs distinct epochs, e.g. [0, 10, 90]")
                }
            }
            if let v = fields["epochs"] { s.epochs = try v.integer(1...Limits.epochs) }
            analyses.checkpoints = s
        case .some(nil): break
        }
        switch try settings("sizes", allowed: ["per_class", "epochs", "seeds"]) {
        case .none: analyses.sizes = nil
        case .some(let fields?):
            var s = Study.SizeSweep()
            if let v = fields["per_class"] {
                s.perClass = try v.list().map { try $0.integer(1...Limits.images) }
                guard !s.perClass.isEmpty, Set(s.perClass).count == s.perClass.count else {
                    throw v.fail("`per_class` needs one or more distinct sizes, e.g. [10, 30, 100]")
                }
            }
            if let v = fields["epochs"] { s.epochs = try v.integer(1...Limits.epochs) }
            if let v = fields["seeds"] { s.seeds = try seeds(v) }
            analyses.sizes = s
        case .some(nil): break
        }
        if let v = f["domain"] {
            let fields = try v.mapping(allowed: ["images", "resamples"])
            if let v = fields["images"] { analyses.domain.images = try v.integer(10...Limits.images) }
            if let v = fields["resamples"] { analyses.domain.resamples = try v.integer(10...Limits.draws) }
        }
        return analyses
    }
}
