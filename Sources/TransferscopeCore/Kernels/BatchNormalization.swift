/// Batch normalization over the rows of an NHWC tensor seen as [rows = N*H*W, C]
/// (Ioffe and Szegedy 2015), with PyTorch's semantics.
public enum BatchNormalization {
    /// Rows summed in Float before the block sum is added to a Double accumulator.
    static let blockRows = 64

    /// Values in one chunk, about: the unit of work the workers take (`Parallel.forEachChunk`) in
    /// every pass, and of the sums (`pairedSums`).
    static let chunkValues = 64 * 1024

    /// Rows of one chunk of `channels` channels: whole 64-row blocks holding about `chunkValues`
    /// values (4096 rows at 16 channels, 128 at 512). Depends on the channels only, never on the
    /// worker count.
    static func chunkRows(channels: Int) -> Int {
        max(1, chunkValues / max(channels, 1) / blockRows) * blockRows
    }

    /// The chunks covering `rows` rows of `channels` channels.
    static func chunks(_ rows: Int, channels: Int) -> Int {
        let size = chunkRows(channels: channels)
        return (rows + size - 1) / size
    }

    /// The rows of chunk `chunk`.
    static func rows(ofChunk chunk: Int, _ rows: Int, channels: Int) -> Range<Int> {
        let size = chunkRows(channels: channels)
        return (chunk * size)..<min((chunk + 1) * size, rows)
    }

    /// Two per-channel sums over all rows. `body(start, end, sums)` adds its terms for rows
    /// start..<end into sums[0..<C] and sums[C..<2C] (Float, zeroed for each block of 64 rows);
    /// each chunk (`chunkRows`) adds its blocks' sums into its own Double totals, and the
    /// chunks' totals are added in chunk order. Whichever worker takes a chunk, the result depends
    /// only on the data: not on the schedule, nor on the worker count.
    static func pairedSums(
        rows: Int, channels: Int, scratch: Workspace,
        _ body: (_ start: Int, _ end: Int, _ sums: UnsafeMutablePointer<Float>) -> Void
    ) -> (first: [Double], second: [Double]) {
        let chunks = chunks(rows, channels: channels)
        var partials = [Double](repeating: 0, count: chunks * 2 * channels)
        partials.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else {
                preconditionFailure("BatchNormalization: no storage for \(chunks) x 2 x \(channels) partial sums")
            }
            Parallel.forEachChunk(of: chunks) { worker, chunk in
                let block = scratch.floats(worker: worker, count: 2 * channels)
                let totals = base + chunk * 2 * channels
                let range = Self.rows(ofChunk: chunk, rows, channels: channels)
                var start = range.lowerBound
                while start < range.upperBound {
                    let end = min(start + blockRows, range.upperBound)
                    block.update(repeating: 0, count: 2 * channels)
                    body(start, end, block)
                    for i in 0..<(2 * channels) { totals[i] += Double(block[i]) }
                    start = end
                }
            }
        }
        var first = [Double](repeating: 0, count: channels)
        var second = first
        for chunk in 0..<chunks {
            for c in 0..<channels {
                first[c] += partials[chunk * 2 * channels + c]
                second[c] += partials[chunk * 2 * channels + channels + c]
            }
        }
        return (first, second)
    }

    /// Batch mean and biased variance per channel in one pass over the data, with the first
    /// row as shift K for accuracy: mean = K + S1 / R, var = S2 / R - (S1 / R)^2 with
    /// S1 = sum (x - K), S2 = sum (x - K)^2. input: [R, C].
    public static func statistics(
        input: UnsafePointer<Float>, rows: Int, channels: Int, scratch: Workspace
    ) -> (mean: [Float], variance: [Float]) {
        let (shift, s1, s2) = shiftedSums(input: input, rows: rows, channels: channels, scratch: scratch)
        var mean = [Float](repeating: 0, count: channels)
        var variance = mean
        for c in 0..<channels {
            let m = s1[c] / Double(rows)
            mean[c] = Float(Double(shift[c]) + m)
            variance[c] = Float(max(s2[c] / Double(rows) - m * m, 0))
        }
        return (mean, variance)
    }

    /// The mean and biased variance per channel over the rows of every process of `group`
    /// (synchronized BatchNorm), and the number of rows they cover. Each process takes its
    /// rows' count, mean and sum of squared deviations (M2, in Double, from its shifted sums);
    /// these are gathered and merged in rank order with Chan, Golub and LeVeque's pairwise
    /// update (1983): n = na + nb, d = mb - ma, mean = ma + d * nb / n,
    /// M2 = M2a + M2b + d^2 * na * nb / n. Every process gets the same bits. input: [R, C].
    public static func statistics(
        input: UnsafePointer<Float>, rows: Int, channels: Int, scratch: Workspace, group: any ProcessGroup
    ) -> (mean: [Float], variance: [Float], rows: Int) {
        var local = [Double](repeating: 0, count: 1 + 2 * channels)
        let n = Double(rows)
        local[0] = n
        // A process with no rows adds nothing (the merge skips it).
        let (shift, s1, s2) =
            rows > 0
            ? shiftedSums(input: input, rows: rows, channels: channels, scratch: scratch)
            : (
                [Float](repeating: 0, count: channels), [Double](repeating: 0, count: channels),
                [Double](repeating: 0, count: channels)
            )
        for c in 0..<channels where rows > 0 {
            local[1 + c] = Double(shift[c]) + s1[c] / n
            local[1 + channels + c] = max(s2[c] - s1[c] * s1[c] / n, 0)
        }
        var count = 0.0
        var mean = [Double](repeating: 0, count: channels)
        var m2 = mean
        for part in group.allGather(local) where part[0] > 0 {
            let (na, nb) = (count, part[0])
            count = na + nb
            for c in 0..<channels {
                let d = part[1 + c] - mean[c]
                mean[c] += d * nb / count
                m2[c] += part[1 + channels + c] + d * d * na * nb / count
            }
        }
        return (mean.map(Float.init), m2.map { Float(max($0 / count, 0)) }, Int(count))
    }

    /// The first row K and the per-channel sums S1 = sum (x - K), S2 = sum (x - K)^2. input: [R, C].
    static func shiftedSums(
        input: UnsafePointer<Float>, rows: Int, channels: Int, scratch: Workspace
    ) -> (shift: [Float], s1: [Double], s2: [Double]) {
        let shift = Array(UnsafeBufferPointer(start: input, count: channels))
        let (s1, s2) = shift.withUnsafeBufferPointer { shiftBuffer in
            guard let k = shiftBuffer.baseAddress else {
                preconditionFailure("BatchNormalization.statistics: no storage for the shift of \(channels) channels")
            }
            return pairedSums(rows: rows, channels: channels, scratch: scratch) { start, end, sums in
                let squares = sums + channels
                for row in start..<end {
                    let x = input + row * channels
                    var c = 0
                    while c &+ 16 <= channels {
                        let d = load(x, c) - load(k, c)
                        store(load(sums, c) + d, sums, c)
                        store(load(squares, c) + d * d, squares, c)
                        c &+= 16
                    }
                    while c < channels {
                        let d = x[c] - k[c]
                        sums[c] += d
                        squares[c] += d * d
                        c += 1
                    }
                }
            }
        }
        return (shift, s1, s2)
    }

    /// output = input * scale + shift (+ residual) per channel, then max(0, .) if `relu`; with
    /// scale = gamma / sqrt(var + eps) and shift = beta - mean * scale this is BatchNorm, and
    /// with a residual it is also the join of a residual block, in the same pass.
    /// input, output, residual: [R, C] (output may alias input).
    public static func applyAffine(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, rows: Int, channels: Int,
        scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, relu: Bool, residual: UnsafePointer<Float>? = nil
    ) {
        Parallel.forEachChunk(of: chunks(rows, channels: channels)) { _, chunk in
            for row in Self.rows(ofChunk: chunk, rows, channels: channels) {
                let x = input + row * channels
                let y = output + row * channels
                let r = residual.map { $0 + row * channels }
                var c = 0
                while c &+ 16 <= channels {
                    var v = load(x, c) * load(scale, c) + load(shift, c)
                    if let r { v += load(r, c) }
                    store(relu ? rectified(v) : v, y, c)
                    c &+= 16
                }
                while c < channels {
                    var v = x[c] * scale[c] + shift[c]
                    if let r { v += r[c] }
                    y[c] = relu ? max(0, v) : v
                    c += 1
                }
            }
        }
    }

    /// Channel loops run 16 floats at a time (two 256-bit or one 512-bit register): the compiler's
    /// own vectorization of `for c in 0..<channels` fell back to 4-wide code for 16 channels.
    /// Each lane does the scalar loop's operations in the same order, so the bits are the same.
    typealias Vector = SIMD16<Float>
    @inline(__always) static func load(_ p: UnsafePointer<Float>, _ c: Int) -> Vector {
        UnsafeRawPointer(p + c).loadUnaligned(as: Vector.self)
    }
    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>, _ c: Int) -> Vector {
        UnsafeRawPointer(p + c).loadUnaligned(as: Vector.self)
    }
    @inline(__always) static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ c: Int) {
        UnsafeMutableRawPointer(p + c).storeBytes(of: v, as: Vector.self)
    }
    /// max(0, v) per lane as `Swift.max(0, v)` computes it: v where v >= 0, else 0 (so NaN gives 0).
    @inline(__always) static func rectified(_ v: Vector) -> Vector {
        Vector(repeating: 0).replacing(with: v, where: v .>= 0)
    }
    /// dy where the ReLU's output y > 0, else 0.
    @inline(__always) static func gated(_ dy: Vector, by y: Vector) -> Vector {
        Vector(repeating: 0).replacing(with: dy, where: y .> 0)
    }

    /// The gradient of y = gamma * xhat + beta with xhat = (x - mean) * invstd (then a ReLU if
    /// `reluOutput` is given: the incoming gradient counts only where that output is > 0).
    /// With the batch's own statistics (training mode):
    ///   dbeta  = sum_r dy,  dgamma = sum_r dy * xhat,
    ///   dx     = gamma * invstd * (dy - dbeta / R - xhat * dgamma / R).
    /// With `batchStatistics` false (evaluation mode) mean and invstd are constants and
    /// dx = gamma * invstd * dy. gammaGradient and betaGradient are accumulated into (+=);
    /// inputGradient is overwritten and may alias outputGradient.
    /// With `group` (synchronized BatchNorm, batch statistics of `totalRows` rows over every
    /// process) dx uses the two sums over every process (summed in rank order); dgamma and dbeta
    /// stay this process's share, summed with the other parameters' gradients by the caller.
    /// With `maskedGradient` (and `reluOutput`) the masked incoming gradient (dy where the output
    /// is > 0, else 0: a residual block's gradient for its shortcut) is written there by the first
    /// pass, and the second pass reads it instead of dy and the output again; dx has the same bits.
    public static func backward(
        inputGradient: UnsafeMutablePointer<Float>, gammaGradient: UnsafeMutablePointer<Float>,
        betaGradient: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>,
        reluOutput: UnsafePointer<Float>?, input: UnsafePointer<Float>, mean: [Float],
        inverseStandardDeviation: [Float], gamma: UnsafePointer<Float>, rows: Int, channels: Int,
        batchStatistics: Bool, scratch: Workspace, group: (any ProcessGroup)? = nil, totalRows: Int? = nil,
        maskedGradient: UnsafeMutablePointer<Float>? = nil
    ) {
        precondition(
            group == nil || totalRows != nil,
            "BatchNormalization.backward: synchronized statistics need their totalRows")
        precondition(
            maskedGradient == nil || reluOutput != nil,
            "BatchNormalization.backward: a masked gradient needs the ReLU's output")
        // Per-channel constants packed in one array: mean, invstd, then (after the sums)
        // scale = gamma * invstd, mean dy, mean dy * xhat.
        var constants = mean + inverseStandardDeviation + [Float](repeating: 0, count: 3 * channels)
        constants.withUnsafeMutableBufferPointer { buffer in
            guard let m = buffer.baseAddress else {
                preconditionFailure("BatchNormalization.backward: no storage for the constants of \(channels) channels")
            }
            let s = m + channels
            let k = s + channels
            let a = k + channels
            let b = a + channels
            let (dyTotals, dyXhatTotals) = pairedSums(rows: rows, channels: channels, scratch: scratch) {
                start, end, sums in
                let products = sums + channels
                // One row's terms: sums += g, products += g * (x - mean), with g = dy, masked
                // by the ReLU's output y when given.
                func sumTerms(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>?) {
                    var c = 0
                    while c &+ 16 <= channels {
                        let g = y.map { gated(load(dy, c), by: load($0, c)) } ?? load(dy, c)
                        store(load(sums, c) + g, sums, c)
                        store(load(products, c) + g * (load(x, c) - load(m, c)), products, c)
                        c &+= 16
                    }
                    while c < channels {
                        let g = y.map { $0[c] > 0 ? dy[c] : 0 } ?? dy[c]
                        sums[c] += g
                        products[c] += g * (x[c] - m[c])
                        c += 1
                    }
                }
                if let reluOutput, let maskedGradient {
                    // The block's masked gradient first (a loop with one store), then its sums
                    // from it while it is in L1: with the store inside the summing loop (it may
                    // alias the sums) resnet20 training ran 10% slower, measured in one process.
                    let block = (end - start) * channels
                    let (dy, y) = (outputGradient + start * channels, reluOutput + start * channels)
                    let masked = maskedGradient + start * channels
                    var i = 0
                    while i &+ 16 <= block {
                        store(gated(load(dy, i), by: load(y, i)), masked, i)
                        i &+= 16
                    }
                    while i < block {
                        masked[i] = y[i] > 0 ? dy[i] : 0
                        i += 1
                    }
                    for row in start..<end {
                        sumTerms(UnsafePointer(maskedGradient + row * channels), input + row * channels, nil)
                    }
                    return
                }
                for row in start..<end {
                    sumTerms(
                        outputGradient + row * channels, input + row * channels,
                        reluOutput.map { $0 + row * channels })
                }
            }
            // The batch's sums: over every process's rows when the statistics are synchronized.
            var (batchDy, batchDyXhat) = (dyTotals, dyXhatTotals)
            if let group {
                let totals = group.sumInRankOrder(dyTotals + dyXhatTotals)
                batchDy = Array(totals[0..<channels])
                batchDyXhat = Array(totals[channels...])
            }
            let batchRows = Double(totalRows ?? rows)
            for c in 0..<channels {
                betaGradient[c] += Float(dyTotals[c])
                gammaGradient[c] += Float(dyXhatTotals[c] * Double(s[c]))
                k[c] = gamma[c] * s[c]
                a[c] = batchStatistics ? Float(batchDy[c] / batchRows) : 0
                b[c] = batchStatistics ? Float(batchDyXhat[c] * Double(s[c]) / batchRows) : 0
            }
            Parallel.forEachChunk(of: chunks(rows, channels: channels)) { _, chunk in
                for row in Self.rows(ofChunk: chunk, rows, channels: channels) {
                    let x = input + row * channels
                    let dx = inputGradient + row * channels
                    // The incoming gradient g: the masked one, or dy masked by the ReLU's output here.
                    let (dy, y) =
                        maskedGradient.map { (UnsafePointer($0 + row * channels), nil) }
                        ?? (outputGradient + row * channels, reluOutput.map { $0 + row * channels })
                    var c = 0
                    while c &+ 16 <= channels {
                        let g = y.map { gated(load(dy, c), by: load($0, c)) } ?? load(dy, c)
                        let v = load(k, c) * (g - load(a, c) - (load(x, c) - load(m, c)) * load(s, c) * load(b, c))
                        store(v, dx, c)
                        c &+= 16
                    }
                    while c < channels {
                        let g = y.map { $0[c] > 0 ? dy[c] : 0 } ?? dy[c]
                        dx[c] = k[c] * (g - a[c] - (x[c] - m[c]) * s[c] * b[c])
                        c += 1
                    }
                }
            }
        }
    }
}
