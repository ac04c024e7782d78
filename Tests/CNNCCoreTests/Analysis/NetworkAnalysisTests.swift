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
        // Peak: relu1's 3×28×28 input + 3×28×28 output (larger than conv1's 1×28×28 + 3×28×28), float32.
        #expect(seed.peakActivationBytes == (3 * 784 + 3 * 784) * 4)
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
        #expect(fields[0].height == .init(size: 3, jump: 1, centre: 0))
        #expect(fields[1].height == .init(size: 4, jump: 2, centre: 0.5))
        #expect(fields[2].width == .init(size: 12, jump: 2, centre: 4.5))
        #expect(fields[3].height == .init(size: 12, jump: 6, centre: 4.5))
        #expect(fields[3].width == .init(size: 16, jump: 6, centre: 2.5))
        #expect(fields[4] == fields[3])
        #expect(fields[5].isGlobal)
        #expect(fields[5].inputSides == Pair(28, 28))
    }
}
