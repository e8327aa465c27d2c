import Foundation
import TransferscopeCore
import TransferscopeData
import TransferscopeIO
import TransferscopeNN
import TransferscopeOptimizers

/// Data-parallel training over the processes of a `ProcessGroup` (MPI ranks).
///
/// Every process holds the whole model and takes the same steps: each batch of B (the
/// configuration's batch size, drawn as in one process) is split into `size` contiguous shares of
/// B / size, one per process in rank order; BatchNorm's batch statistics cover the whole batch
/// (`BatchNorm2d.processGroup`); each process's logits gradient is its share of the whole batch's
/// mean loss, so the parameters' gradients summed over the processes (`ProcessGroup.sumInPlace`)
/// are the whole batch's; the optimizer step then runs on identical values everywhere. Only the
/// writer (rank 0) writes the run's files; the others read the resume state at the start.
///
/// What is reproducible: the same seed, process count and thread count give the same bits, and
/// every process holds the same model (checked after each epoch). A different process count
/// sums in another order, so it agrees with one process up to rounding, which grows with steps
/// as in any change of summation order. One process (`size` 1) is exactly the undistributed run.
extension Trainer {
    /// The group when it has more than one process; nil runs undistributed.
    var distributedGroup: (any ProcessGroup)? { processGroup.flatMap { $0.size > 1 ? $0 : nil } }

    /// Whether this process writes the run's files.
    var writesFiles: Bool { distributedGroup?.isWriter ?? true }

    /// Refuses a batch that does not split evenly over the processes.
    func checkBatchSplits() throws {
        guard let group = distributedGroup else { return }
        guard configuration.batchSize % group.size == 0 else {
            throw TrainingError.invalidConfiguration(
                "the batch size \(configuration.batchSize) does not split evenly over \(group.size) MPI processes; "
                    + "choose a batch size (--batch-size; batch_size in a study) that is a multiple of the "
                    + "process count (mpirun -n)"
            )
        }
    }

    /// The writer's `value()` on every process (JSON over `ProcessGroup.broadcast`); only the
    /// writer calls `value`. Undistributed, `value()`.
    func fromWriter<Value: Codable>(_ value: () throws -> Value?) throws -> Value? {
        guard let group = distributedGroup else { return try value() }
        if group.isWriter {
            let result = try value()
            _ = group.broadcast(try result.map { Array(try JSONEncoder().encode($0)) } ?? [], from: 0)
            return result
        }
        let bytes = group.broadcast([], from: 0)
        return bytes.isEmpty ? nil : try JSONDecoder().decode(Value.self, from: Data(bytes))
    }

    /// This process's share of a batch's indices (all of them when undistributed).
    func localShare(of indices: [Int]) -> [Int] {
        guard let group = distributedGroup else { return indices }
        let range = Parallel.share(of: indices.count, worker: group.rank, workers: group.size)
        return Array(indices[range])
    }

    /// Sums every parameter's gradient over the processes, in one call: the gradients are
    /// packed into `packed` (kept from step to step) in the optimizer's order, the same on every process.
    func sumGradients(_ parameters: [(name: String, parameter: Parameter)], packed: inout Tensor) {
        guard let group = distributedGroup else { return }
        let total = parameters.reduce(0) { $0 + $1.parameter.gradient.count }
        if packed.count != total { packed = Tensor(uninitializedShape: [total]) }
        let buffer = packed.unsafeMutablePointer
        var offset = 0
        for (_, parameter) in parameters {
            let count = parameter.gradient.count
            buffer.advanced(by: offset).update(from: parameter.gradient.unsafePointer, count: count)
            offset += count
        }
        group.sumInPlace(buffer, count: total)
        offset = 0
        for (_, parameter) in parameters {
            let count = parameter.gradient.count
            parameter.gradient.unsafeMutablePointer.update(from: buffer.advanced(by: offset), count: count)
            offset += count
        }
    }

    /// The whole batch's (loss x images, correct, images) from this process's share: the same
    /// numbers on every process, so that every process takes the same branches (a NaN stops all).
    func batchTotals(loss: Float, correct: Int, images: Int) -> (lossTotal: Double, correct: Int, images: Int) {
        let local = [Double(loss) * Double(images), Double(correct), Double(images)]
        guard let group = distributedGroup else { return (local[0], correct, images) }
        let totals = group.sumInRankOrder(local)
        return (totals[0], Int(totals[1]), Int(totals[2]))
    }

    /// Evaluates `model` on `indices` of `images` (all when nil), split over the processes: each
    /// evaluates its share and the loss and correct counts are summed in rank order.
    func evaluateShared(_ model: ResNet, on images: PreparedImages, indices: [Int]?) throws -> (
        loss: Double, accuracy: Double
    ) {
        guard let group = distributedGroup else {
            let evaluation = try Evaluator.evaluate(model, on: images, indices: indices)
            return (evaluation.loss, evaluation.accuracy)
        }
        let all = indices ?? Array(0..<images.count)
        let share = Array(all[Parallel.share(of: all.count, worker: group.rank, workers: group.size)])
        var local = [0.0, 0.0, 0.0]
        if !share.isEmpty {
            let evaluation = try Evaluator.evaluate(model, on: images, indices: share)
            let correct = zip(evaluation.predictions, evaluation.labels).filter { $0.0 == $0.1 }.count
            local = [evaluation.loss * Double(share.count), Double(correct), Double(share.count)]
        }
        let totals = group.sumInRankOrder(local)
        guard totals[2] > 0 else { return (0, 0) }
        return (totals[0] / totals[2], totals[1] / totals[2])
    }

    /// Stops the run when the processes' models differ (a 64-bit digest of every parameter and
    /// buffer, compared across processes): replicas that drifted apart, or that loaded different
    /// files at the start, would train different models.
    func checkReplicasAgree(_ model: ResNet, epoch: Int) throws {
        guard let group = distributedGroup else { return }
        // FNV-1a over the values' bits.
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        func add(_ tensor: Tensor) {
            let values = tensor.unsafePointer
            for i in 0..<tensor.count {
                value = (value ^ UInt64(values[i].bitPattern)) &* 0x0000_0100_0000_01b3
            }
        }
        for module in model.modules {
            for (_, parameter) in module.state.parameters { add(parameter.value) }
            for (_, buffer) in module.state.buffers { add(buffer.value) }
        }
        let halves = [Double(value >> 32), Double(value & 0xFFFF_FFFF)]
        let gathered = group.allGather(halves)
        guard gathered.allSatisfy({ $0 == halves }) else {
            let ranks = gathered.enumerated().filter { $0.element != gathered[0] }.map(\.offset)
            throw TrainingError.invalidConfiguration(
                "at epoch \(epoch) the model on MPI rank(s) \(ranks.map(String.init).joined(separator: ", ")) "
                    + "differs from rank 0's: the processes must run the same Transferscope build with the same "
                    + "--threads on processors of the same kind (the kernels' sums follow the processor's features)"
            )
        }
    }
}
