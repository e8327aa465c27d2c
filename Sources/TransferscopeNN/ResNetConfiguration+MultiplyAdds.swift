extension ResNetConfiguration {
    /// Multiply-adds of one forward pass of one `imageSide` x `imageSide` image: every convolution
    /// (output pixels x kernel area x input channels x output channels) and the classifier
    /// (features x classes). BatchNorm, ReLU, pooling and the residual additions are not counted,
    /// as in the usual figures (torchvision ResNet-50 at 224: 4.09 G; ResNet-18: 1.81 G).
    ///
    /// Bottleneck blocks are ResNet v1.5 (`Bottleneck`): the 1x1 reduction runs at the block's
    /// input resolution, the stride sits on the 3x3 convolution. Computed in floating point, as
    /// `parameterCount` is. O(blocks).
    public func forwardMultiplyAdds(imageSide: Int) -> Double {
        /// One convolution's multiply-adds, given its output side.
        func convolution(_ side: Int, kernel: Int, _ input: Int, _ output: Int) -> Double {
            Double(side) * Double(side) * Double(kernel * kernel) * Double(input) * Double(output)
        }
        let stemKernel = stem == .small ? 3 : 7
        let stemStride = stem == .small ? 1 : 2
        var side = (imageSide + 2 * (stemKernel / 2) - stemKernel) / stemStride + 1
        var total = convolution(side, kernel: stemKernel, inputChannels, stemWidth)
        if stem == .imagenet { side = (side + 2 - 3) / 2 + 1 }  // 3x3 max pool, stride 2, padding 1
        let expansion = block == .bottleneck ? Bottleneck.expansion : 1
        var channels = stemWidth
        for (stage, (blocks, planes)) in zip(blocksPerStage, widths).enumerated() {
            let output = planes * expansion
            for index in 0..<blocks {
                let stride = index == 0 && stage > 0 ? 2 : 1
                let outputSide = (side - 1) / stride + 1
                switch block {
                case .basic:
                    total += convolution(outputSide, kernel: 3, channels, planes)
                    total += convolution(outputSide, kernel: 3, planes, planes)
                case .bottleneck:
                    total += convolution(side, kernel: 1, channels, planes)
                    total += convolution(outputSide, kernel: 3, planes, planes)
                    total += convolution(outputSide, kernel: 1, planes, output)
                }
                if stride != 1 || channels != output { total += convolution(outputSide, kernel: 1, channels, output) }
                channels = output
                side = outputSide
            }
        }
        return total + Double(channels) * Double(classes)
    }
}
