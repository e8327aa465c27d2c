import Foundation
import TransferscopeTraining

extension StudySchedule {
    /// The schedule of `plan` of `study` at relative weights (`weights`) instead of measured
    /// seconds, for the order alone (the priorities of `next`): what the MPI scheduler needs
    /// before it runs anything, at the cost of a `stat` or a header read per dataset and nothing
    /// measured. The sizes of the data are those known without reading images
    /// (`StudyWorkload.dataShapes`); a given P's input and architecture come from its header,
    /// and a header that cannot be read leaves the work of the target nodes unknown (the run
    /// reports the file when it adopts it). The nodes in `done` take 0.
    public static func withoutMeasuring(study: Study, plan: StudyPlan, done: Set<String>) -> StudySchedule {
        let given = study.source.given.flatMap { try? SourceCheckpoint($0.checkpoint) }
        let workload = StudyWorkload(
            study: study, plan: plan, data: StudyWorkload.dataShapes(of: study).shapes, given: given)
        return StudySchedule(plan: plan, seconds: weights(workload, plan: plan), done: done)
    }

    /// Each node's work as a relative weight, in forward passes of one image: an image evaluated
    /// weighs 1, an image trained 3 (the forward pass, the backward pass of about twice its
    /// work), an image compared by CKA 2 (a forward pass of each model). Not seconds, only
    /// their proportions (the threads and the machine scale them all alike, to within the
    /// batch size's effect); a node whose work is unknown weighs 1, so that among such nodes
    /// the longer chains go first.
    public static func weights(_ workload: StudyWorkload, plan: StudyPlan) -> [String: Double] {
        Dictionary(
            uniqueKeysWithValues: plan.nodes.map { node in
                guard let work = workload.work[node.id] else { return (node.id, 1) }
                return (node.id, 3 * Double(work.trainedImages) + Double(work.evaluated) + 2 * Double(work.compared))
            })
    }
}
