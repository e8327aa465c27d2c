/// Max and global average pooling on NHWC activations.
public enum Pooling {
    /// Max over kxk windows with stride and padding (padding counts as -infinity, as PyTorch).
    /// input: [N, H, W, C]; output: [N, OH, OW, C]; argmax: [N, OH, OW, C] flat input indices.
    public static func maxForward(
        output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>, input: UnsafePointer<Float>,
        batch: Int, height: Int, width: Int, channels: Int, kernelSize: Int, stride: Int, padding: Int
    ) {
        let oh = (height + 2 * padding - kernelSize) / stride + 1
        let ow = (width + 2 * padding - kernelSize) / stride + 1
        // Window positions outside, channels inside: each position's channels are contiguous, so
        // the comparisons run along rows of memory. Per channel the window is visited in the same
        // order (rows, then columns), so values and argmax are those of a channel-by-channel scan.
        Parallel.forEachShare(of: batch) { _, images in
            for n in images {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let out = ((n * oh + oy) * ow + ox) * channels
                        var first = true
                        for ky in 0..<kernelSize {
                            let iy = oy * stride - padding + ky
                            if iy < 0 || iy >= height { continue }
                            for kx in 0..<kernelSize {
                                let ix = ox * stride - padding + kx
                                if ix < 0 || ix >= width { continue }
                                let base = ((n * height + iy) * width + ix) * channels
                                if first {
                                    for c in 0..<channels {
                                        output[out + c] = input[base + c]
                                        argmax[out + c] = Int32(base + c)
                                    }
                                    first = false
                                    continue
                                }
                                for c in 0..<channels {
                                    let v = input[base + c]
                                    // NaN propagates, as in PyTorch; ties keep the first position.
                                    if v > output[out + c] || v.isNaN {
                                        output[out + c] = v
                                        argmax[out + c] = Int32(base + c)
                                    }
                                }
                            }
                        }
                        if first {
                            for c in 0..<channels {
                                output[out + c] = -.infinity
                                argmax[out + c] = -1
                            }
                        }
                    }
                }
            }
        }
    }

    /// `maxForward`'s values without the argmax, for inference: the same bits (the window's first
    /// value, replaced by a greater one or a NaN, in rows-then-columns order), 16 channels at a
    /// time. input: [N, H, W, C]; output: [N, OH, OW, C].
    public static func maxForward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
        channels: Int, kernelSize: Int, stride: Int, padding: Int
    ) {
        let oh = (height + 2 * padding - kernelSize) / stride + 1
        let ow = (width + 2 * padding - kernelSize) / stride + 1
        let vectorChannels = channels - channels % 16
        Parallel.forEachShare(of: batch) { _, images in
            for n in images {
                for oy in 0..<oh {
                    let rows = max(0, oy * stride - padding)..<min(height, oy * stride - padding + kernelSize)
                    for ox in 0..<ow {
                        let columns = max(0, ox * stride - padding)..<min(width, ox * stride - padding + kernelSize)
                        let out = output + ((n * oh + oy) * ow + ox) * channels
                        guard !rows.isEmpty, !columns.isEmpty else {
                            out.update(repeating: -.infinity, count: channels)
                            continue
                        }
                        let first = input + ((n * height + rows.lowerBound) * width + columns.lowerBound) * channels
                        var c = 0
                        while c < vectorChannels {
                            var best = UnsafeRawPointer(first + c).loadUnaligned(as: SIMD16<Float>.self)
                            for iy in rows {
                                for ix in columns where iy != rows.lowerBound || ix != columns.lowerBound {
                                    let v = UnsafeRawPointer(input + ((n * height + iy) * width + ix) * channels + c)
                                        .loadUnaligned(as: SIMD16<Float>.self)
                                    // NaN propagates, as in PyTorch; ties keep the first value.
                                    best.replace(with: v, where: (v .> best) .| (v .!= v))
                                }
                            }
                            UnsafeMutableRawPointer(out + c).storeBytes(of: best, as: SIMD16<Float>.self)
                            c += 16
                        }
                        for c in vectorChannels..<channels {
                            var best = first[c]
                            for iy in rows {
                                for ix in columns where iy != rows.lowerBound || ix != columns.lowerBound {
                                    let v = input[((n * height + iy) * width + ix) * channels + c]
                                    if v > best || v.isNaN { best = v }
                                }
                            }
                            out[c] = best
                        }
                    }
                }
            }
        }
    }

    /// dx[argmax[i]] += dy[i]; dx is overwritten (zeroed first). dx: [N, H, W, C].
    public static func maxBackward(
        inputGradient: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>,
        argmax: UnsafePointer<Int32>, batch: Int, inputImageSize: Int, outputImageSize: Int
    ) {
        Parallel.forEachShare(of: batch) { _, images in
            inputGradient.advanced(by: images.lowerBound * inputImageSize)
                .update(repeating: 0, count: images.count * inputImageSize)
            for i in (images.lowerBound * outputImageSize)..<(images.upperBound * outputImageSize) {
                inputGradient[Int(argmax[i])] += outputGradient[i]
            }
        }
    }

    /// y[n, c] = mean over h, w of x[n, h, w, c]. x: [N, H*W, C]; y: [N, C].
    public static func averageForward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, batch: Int, pixels: Int, channels: Int
    ) {
        let scale = 1 / Float(pixels)
        Parallel.forEachShare(of: batch) { _, images in
            for n in images {
                let y = output + n * channels
                y.update(repeating: 0, count: channels)
                for p in 0..<pixels {
                    let x = input + (n * pixels + p) * channels
                    for c in 0..<channels { y[c] += x[c] }
                }
                for c in 0..<channels { y[c] *= scale }
            }
        }
    }

    /// dx[n, h, w, c] = dy[n, c] / (H*W). dx: [N, H*W, C] (overwritten); dy: [N, C].
    public static func averageBackward(
        inputGradient: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>,
        batch: Int, pixels: Int, channels: Int
    ) {
        let scale = 1 / Float(pixels)
        Parallel.forEachShare(of: batch) { _, images in
            for n in images {
                let dy = outputGradient + n * channels
                for p in 0..<pixels {
                    let dx = inputGradient + (n * pixels + p) * channels
                    for c in 0..<channels { dx[c] = dy[c] * scale }
                }
            }
        }
    }
}
