@testable import CNNCCore
import Testing
import Foundation

@Suite struct NetworkAnalysisTests {
    func analysis(_ model: String) throws -> NetworkAnalysis {
        let path = repositoryRoot.appendingPathComponent("models/\(model).yaml").path
        let pipeline = try SpecPipeline.run(path: path)
        return NetworkAnalysis(try #require(pipeline.network))
    }

    @Test func lenet5HasItsClassicParameterCount() throws {
        // c1 6·(1·25)+6 = 156, c3 16·(6·25)+16 = 2,416, f5 400·120+120 = 48,120, f6 120·84+84 = 10,164, out 84·10+10 = 850.
        let lenet = try analysis("lenet5")
        #expect(lenet.layers.map(\.parameters).filter { $0 > 0 } == [156, 2_416, 48_120, 10_164, 850])
        #expect(lenet.parameters == 61_706)
        // MACs: c1 28·28·6·25 = 117,600, c3 10·10·16·150 = 240,000, then the dense layers' weights.
        #expect(lenet.macs == 117_600 + 240_000 + 48_000 + 10_080 + 840)
    }

    @Test func seedsDenseLayerHas1470Weights() throws {
        let seed = try analysis("seed")
        // 3 channels × 7 × 7 after two poolings, × 10 classes, no bias.
        #expect(seed.layers[7].parameters == 3 * 7 * 7 * 10)
        #expect(seed.layers[7].parameters == 1_470)
        // conv1 3·1·9+3 = 30, conv2 3·3·9+3 = 84.
        #expect(seed.parameters == 30 + 84 + 1_470)
    }

    @Test func batchnormCountsTwoParametersAndTwoStatisticsPerChannel() throws {
        let pipeline = network(input: "{channels: 5, height: 4, width: 4}", "batchnorm")
        let result = NetworkAnalysis(try #require(pipeline.network))
        #expect(result.parameters == 10)
        #expect(result.buffers == 10)
        #expect(result.weightBytes == 80)
    }

    @Test func groupedConvolutionParametersAndMACs() throws {
        // groups 4 on 8 → 16 channels: each filter sees 2 channels: 16·2·3·3 + 16 = 304; MACs 6·6·16·18.
        let pipeline = network(input: "{channels: 8, height: 8, width: 8}", "conv: {channels: 16, kernel: 3, groups: 4}")
        let result = NetworkAnalysis(try #require(pipeline.network))
        #expect(result.parameters == 304)
        #expect(result.macs == 6 * 6 * 16 * 18)
    }

    /// Values worked by hand from Araujo et al.'s recurrences (size r, jump j, centre c), starting at r=1, j=1, c=0.
    @Test func receptiveFieldsFollowThePapersRecurrences() throws {
        let pipeline = network(
            "conv: {channels: 2, kernel: 3, padding: 1}",   // r = 1 + 2·1 = 3, j = 1, c = 0 + (1 − 1)·1 = 0
            "maxpool: {kernel: 2}",                          // r = 3 + 1·1 = 4, j = 2, c = 0 + (0.5 − 0)·1 = 0.5
            "conv: {channels: 2, kernel: 3, dilation: 2}",   // extent 5: r = 4 + 4·2 = 12, j = 2, c = 0.5 + 2·2 = 4.5
            "conv: {channels: 2, kernel: [1, 3], stride: 3, padding: [0, 0, 2, 2]}", // h: r 12, j 6, c 4.5; w: r = 12 + 2·2 = 16, j 6, c = 4.5 + (1 − 2)·2 = 2.5
            "relu",
            "flatten")
        let fields = NetworkAnalysis(try #require(pipeline.network)).layers.map(\.receptiveField)
        #expect(axis(fields[0], \.height) == Axis(size: 3, jump: Rational(1), centre: 0))
        #expect(axis(fields[1], \.height) == Axis(size: 4, jump: Rational(2), centre: 0.5))
        #expect(axis(fields[2], \.width) == Axis(size: 12, jump: Rational(2), centre: 4.5))
        #expect(axis(fields[3], \.height) == Axis(size: 12, jump: Rational(6), centre: 4.5))
        #expect(axis(fields[3], \.width) == Axis(size: 16, jump: Rational(6), centre: 2.5))
        #expect(fields[4] == fields[3])
        #expect(fields[5].isGlobal)
    }

    /// Worked by hand per unit: unit u of the output sees input lines spans[u mod period] + ⌊u/period⌋·step.
    @Test func upsamplingAndTransposedConvolutionDivideTheJump() throws {
        let pipeline = network(
            "maxpool: {kernel: 2}",                          // unit u: [2u, 2u+1]
            "upsample: {scale: 2}",                          // unit v: unit ⌊v/2⌋: v=0,1 → [0, 1]; period 2, step 2
            "conv: {channels: 1, kernel: 3, padding: 1}",    // v reads v−1…v+1 → units ⌊(v−1)/2⌋…⌊(v+1)/2⌋: v=0 → [−2, 1], v=1 → [0, 3]
            "conv_transpose: {channels: 1, kernel: 2, stride: 2}", // o reads ⌊o/2⌋ only: period 4, step 2
            "upsample: {scale: 2, mode: bilinear}")          // v reads ⌊(2v−1)/4⌋ and the next
        let fields = NetworkAnalysis(try #require(pipeline.network)).layers.map(\.receptiveField)
        guard case .local(let pooled, _, true) = fields[0], case .local(let nearest, _, true) = fields[1],
              case .local(let convolved, _, true) = fields[2], case .local(let transposed, _, true) = fields[3],
              case .local(let bilinear, _, true) = fields[4] else {
            Issue.record("expected aligned local fields, got \(fields)")
            return
        }
        #expect(pooled.spans == [Span(0, 1)] && pooled.step == 2)
        #expect(nearest.period == 2 && nearest.step == 2 && nearest.spans == [Span(0, 1), Span(0, 1)])
        #expect(nearest.jump == Rational(1) && nearest.sizes == 2...2)
        #expect(convolved.period == 2 && convolved.spans == [Span(-2, 1), Span(0, 3)] && convolved.jump == Rational(1))
        // Output o of the transposed convolution sees exactly the unit ⌊o/2⌋ of `convolved`.
        #expect(transposed.period == 4 && transposed.step == 2 && transposed.jump == Rational(1, 2))
        #expect(transposed.spans == [Span(-2, 1), Span(-2, 1), Span(0, 3), Span(0, 3)])
        // Bilinear ×2: v = 0 reads units −1 and 0, v = 1 and v = 2 units 0 and 1, v = 3 units 1 and 2.
        #expect(bilinear.jump == Rational(1, 4))
        #expect(Array(try bilinear.units(4)) == [Span(-2, 1), Span(-2, 1), Span(-2, 1), Span(-2, 3)].map(Optional.some))
    }

    @Test func branchesMergeIntoTheUnionAndAreFlaggedWhenUnaligned() throws {
        let pipeline = network(
            "conv: {name: a, channels: 1, kernel: 3, padding: 1}",               // [u−1, u+1]
            "conv: {name: b, channels: 1, kernel: 3, padding: 2, dilation: 2, from: input}", // [u−2, u+2], same centre
            "add: {name: aligned, from: [a, b]}",                                // union [u−2, u+2], aligned
            "conv: {name: shifted, channels: 1, kernel: 2, padding: [0, 1, 0, 1], from: input}", // [u, u+1]: centre u + ½
            "add: {name: offset, from: [a, shifted]}",                           // union [u−1, u+1], centres differ
            "maxpool: {name: strided, kernel: 1, stride: 2, padding: 0, from: input}", // jump 2
            "upsample: {name: back, scale: 2}",                                  // jump 1 again, but period 2
            "add: {name: periodic, from: [a, back]}")
        let network = try #require(pipeline.network, "\(pipeline.renderDiagnostics())")
        let fields = NetworkAnalysis(network).layers.map(\.receptiveField)
        #expect(axis(fields[2], \.height) == Axis(size: 5, jump: Rational(1), centre: 0))
        guard case .local(let height, _, false) = fields[4] else {
            Issue.record("'offset' should be local and unaligned: \(fields[4])")
            return
        }
        #expect(height.spans == [Span(-1, 1)])
        guard case .local(_, _, let periodicAligned) = fields[7] else {
            Issue.record("'periodic' should be local: \(fields[7])")
            return
        }
        #expect(!periodicAligned)
        #expect(SummaryRenderer.receptiveFieldText(fields[4], inputSides: Pair(8, 8)).0 == "3×3 (unaligned)")
    }

    @Test func branchesMovingAtDifferentRatesHaveNoField() throws {
        // A stride-2 branch padded back to the input's side meets a stride-1 branch: jumps 2 and 1.
        let pipeline = network(input: "{channels: 1, height: 8, width: 8}",
            "conv: {name: a, channels: 1, kernel: 1}",
            "conv: {name: b, channels: 1, kernel: 1, stride: 2, padding: 4, from: input}",
            "add: {from: [a, b]}")
        let network = try #require(pipeline.network, "\(pipeline.renderDiagnostics())")
        #expect(NetworkAnalysis(network).layers[2].receptiveField == .unaligned)
    }

    struct Axis: Equatable {
        var size: Int
        var jump: Rational
        var centre: Double
    }

    func axis(_ field: ReceptiveField, _ side: KeyPath<(height: AxisField, width: AxisField), AxisField>) -> Axis? {
        guard case .local(let height, let width, _) = field, let sizes = (height: height, width: width)[keyPath: side].sizes,
              sizes.lowerBound == sizes.upperBound else { return nil }
        let chosen = (height: height, width: width)[keyPath: side]
        return Axis(size: sizes.lowerBound, jump: chosen.jump, centre: chosen.centre ?? .nan)
    }
}
