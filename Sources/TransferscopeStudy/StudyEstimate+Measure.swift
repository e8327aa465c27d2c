import Foundation
import TransferscopeData
import TransferscopeNN
import TransferscopeTraining

extension StudyEstimate {
    /// Why no estimate could be made: the source's image size or its model is unknown, so
    /// nothing can be measured.
    public struct Unavailable: Error, LocalizedError, Equatable {
        /// What is unknown and how to make it known.
        public var reason: String

        /// The reason, for the user.
        public var errorDescription: String? { reason }
    }

    /// The estimate of `plan` of `study` on this machine with `threads` workers: the sizes of the
    /// study's data read without its images (`DatasetShape.withoutReadingImages`), and the costs
    /// of P's architecture on the source's image size measured now (`ImageCosts.measure`, a
    /// second or two). The nodes in `done` have their results. Throws `Unavailable` when the
    /// source's size or model is unknown; a target of unknown size leaves its nodes out.
    public static func measure(study: Study, plan: StudyPlan, done: Set<String>, threads: Int) throws
        -> StudyEstimate
    {
        let (shapes, unknown) = StudyWorkload.dataShapes(of: study)
        let architecture: ResNetConfiguration
        let side: Int
        var given: SourceCheckpoint?
        if let file = study.source.given?.checkpoint {
            let record: SourceCheckpoint
            do { record = try SourceCheckpoint(file) } catch {
                throw Unavailable(reason: "the given P cannot be read: \(error.localizedDescription)")
            }
            given = record
            architecture = record.architecture
            side = record.preprocessing.side
        } else {
            guard let data = study.source.data, let source = shapes[data] else {
                let data = study.source.data ?? "(none)"
                throw Unavailable(
                    reason: "the image size of the source \(data) is unknown: " + (unknown[data] ?? "it does not parse")
                )
            }
            guard
                let named = ResNetConfiguration.named(
                    study.source.model, inputChannels: source.channels, classes: max(2, source.trainClassCounts.count),
                    widths: study.source.widths)
            else {
                throw Unavailable(
                    reason: "the model \(study.source.model) with widths \(study.source.widths ?? []) is not one "
                        + "Transferscope builds (\(ResNetConfiguration.knownNames.joined(separator: ", ")))")
            }
            architecture = named
            side = max(source.height, source.width)
        }
        let cka = study.analyses.cka ?? Study.CKASettings()
        let costs = try ImageCosts.measure(
            architecture: architecture, side: side,
            batchSizes: [study.source.batchSize, study.recipe.batchSize], everyBlock: cka.everyBlock,
            kernel: cka.kernel.kernel(bandwidth: cka.bandwidth), threads: threads)
        return StudyEstimate(
            plan: plan, workload: StudyWorkload(study: study, plan: plan, data: shapes, given: given), costs: costs,
            done: done,
            unknownData: unknown)
    }
}
