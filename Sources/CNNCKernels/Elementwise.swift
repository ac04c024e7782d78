/// Batch normalisation folded to one multiply-add per value: `x·scale[c] + shift[c]`, with
/// `scale = weight / √(var + eps)` and `shift = bias − mean · scale` computed when code is generated.
@inline(__always)
package func scaleAndShift(_ input: UnsafePointer<Float>, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
                          output: UnsafeMutablePointer<Float>, channels: Int, plane: Int, activation: some ActivationKernel) {
    for channel in 0..<channels {
        let source = input + channel * plane
        let destination = output + channel * plane
        let factor = scale[channel]
        let offset = shift[channel]
        var index = 0
        let factors = SIMD8<Float>(repeating: factor), offsets = SIMD8<Float>(repeating: offset)
        while index + 8 <= plane {
            destination.storeVector(activation.apply(offsets.accumulating(source.loadVector(at: index), factors)), at: index)
            index += 8
        }
        if index < plane {
            let rest = plane - index
            let values = UnsafeMutablePointer(mutating: source + index).loadPartial(rest)
            (destination + index).storePartial(activation.apply(offsets.accumulating(values, factors)), rest)
        }
    }
}

/// Softmax over the channels at each position, subtracting the maximum first. Eight positions at a
/// time (the last group padded by repeating a position); `exponential` is VectorMath's, so the kernels
/// need nothing from the C library.
@inline(__always)
package func softmaxOverChannels(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int, plane: Int) {
    var first = 0
    while first < plane {
        let lanes = min(8, plane - first)
        func load(_ channel: Int) -> SIMD8<Float> {
            var vector = SIMD8<Float>()
            for lane in 0..<8 { vector[lane] = input[channel * plane + first + min(lane, lanes - 1)] }
            return vector
        }
        var largest = SIMD8<Float>(repeating: -.infinity)
        for channel in 0..<channels { largest = largest.replacing(with: load(channel), where: load(channel) .> largest) }
        var sum = SIMD8<Float>()
        for channel in 0..<channels {
            let value = exponential(load(channel) - largest)
            for lane in 0..<lanes { output[channel * plane + first + lane] = value[lane] }
            sum += value
        }
        for channel in 0..<channels {
            for lane in 0..<lanes { output[channel * plane + first + lane] /= sum[lane] }
        }
        first += 8
    }
}

/// An activation on its own (not fused into a producer), from `input` to `output` (which may be the same).
@inline(__always)
package func activate(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int, activation: some ActivationKernel) {
    if UnsafePointer(output) != input { output.update(from: input, count: count) }
    activation.apply(output, count: count)
}

/// `output = activation(a + b)`, element by element; `output` may be `a` or `b`. An `add` of more
/// inputs chains calls, the running sum first, so the sums are taken in the order the spec lists them.
@inline(__always)
package func addTensors(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int,
                        activation: some ActivationKernel) {
    var index = 0
    while index + 8 <= count {
        output.storeVector(activation.apply(a.loadVector(at: index) + b.loadVector(at: index)), at: index)
        index += 8
    }
    if index < count {
        let rest = count - index
        (output + index).storePartial(activation.apply((a + index).loadPartial(rest) + (b + index).loadPartial(rest)), rest)
    }
}

/// `output = a · b`, element by element; `output` may be `a` or `b`.
@inline(__always)
package func multiplyTensors(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int) {
    var index = 0
    while index + 8 <= count {
        output.storeVector(a.loadVector(at: index) * b.loadVector(at: index), at: index)
        index += 8
    }
    if index < count {
        let rest = count - index
        (output + index).storePartial((a + index).loadPartial(rest) * (b + index).loadPartial(rest), rest)
    }
}

/// Each channel's plane scaled by its gate value (squeeze-and-excitation); `output` may be `input`.
@inline(__always)
package func multiplyChannels(_ input: UnsafePointer<Float>, gate: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                              channels: Int, plane: Int) {
    for channel in 0..<channels {
        let factor = SIMD8<Float>(repeating: gate[channel])
        let source = input + channel * plane
        let destination = output + channel * plane
        var index = 0
        while index + 8 <= plane {
            destination.storeVector(source.loadVector(at: index) * factor, at: index)
            index += 8
        }
        if index < plane {
            let rest = plane - index
            (destination + index).storePartial((source + index).loadPartial(rest) * factor, rest)
        }
    }
}
