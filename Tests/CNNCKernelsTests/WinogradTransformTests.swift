@testable import CNNCKernels
import Testing

/// The filter transform the generated network runs on its first call, against values worked by hand.
@Suite struct WinogradTransformTests {
    /// `U = G g Gᵀ` with G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]: a filter that is 1 at its
    /// centre gives the outer product of G's middle column (0, ½, −½, 0) with itself; one that is 1 at
    /// its top-left corner, that of G's first column (1, ½, ½, 0).
    @Test func transformsEachFilterIntoItsPanelAndZeroFillsThePanelsTail() {
        // 7 output channels (two panels of gemmRowBlock = 6, the second holding one channel) × 2 inputs.
        let geometry = ConvolutionGeometry(inChannels: 2, outChannels: 7, groups: 1, inHeight: 6, inWidth: 6, outHeight: 4, outWidth: 4,
                                           kernelHeight: 3, kernelWidth: 3, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1)
        var filters = [Float](repeating: 0, count: 7 * 2 * 9)
        filters[(6 * 2 + 1) * 9 + 4] = 1  // output 6, input 1: the centre
        filters[(2 * 2 + 0) * 9 + 0] = 1  // output 2, input 0: the top-left corner
        var packed = [Float](repeating: .nan, count: winogradPackedCount(geometry))
        #expect(packed.count == 16 * 12 * 2)
        filters.withUnsafeBufferPointer { filters in
            packed.withUnsafeMutableBufferPointer { packed in
                transformWinogradFilters(filters.baseAddress!, into: packed.baseAddress!, geometry: geometry)
            }
        }
        let centre: [Float] = [0, 0.5, -0.5, 0], corner: [Float] = [1, 0.5, 0.5, 0]
        var expected = [Float](repeating: 0, count: packed.count)
        for row in 0..<4 {
            for column in 0..<4 {
                let xi = row * 4 + column
                // [ξ][panel][in][gemmRowBlock]: two panels of six.
                expected[((xi * 2 + 1) * 2 + 1) * 6 + 0] = centre[row] * centre[column]
                expected[((xi * 2 + 0) * 2 + 0) * 6 + 2] = corner[row] * corner[column]
            }
        }
        #expect(packed == expected)
    }
}
