import CNNCRuntime
import Testing

@Suite struct RunRequestTests {
    let network = NetworkInterface(
        inputShape: FeatureShape(channels: 1, height: 2, width: 2), outputShape: FeatureShape(vector: 3),
        labels: ["one", "two", "three"])

    @Test func predictSeesTheWholeBatchAtOnce() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/x.npy"
            try NPY.write(path: path, shape: [5, 1, 2, 2], values: [Float](repeating: 1, count: 20))
            nonisolated(unsafe) var calls: [Int] = []
            let text = try RunRequest(inputs: [path], top: 1).perform(network: network) { input, count, output in
                calls.append(count)
                for sample in 0..<count { for k in 0..<3 { output[sample * 3 + k] = input[sample * 4] + Float(k) } }
            }
            #expect(calls == [5])
            #expect(text.contains("\"input\": \"\(path)[4]\""))
            #expect(text.contains("\"top\": [\n        {\"index\": 2, \"label\": \"three\", \"value\": 3.0}\n      ]"))
        }
    }

    @Test func impossibleRequestsFailBeforeReadingInputs() {
        // The input does not exist: the error is about the request, so nothing was read.
        let spatial = NetworkInterface(inputShape: network.inputShape, outputShape: FeatureShape(channels: 4, height: 2, width: 2))
        expectRuntimeError(["the output is 4×2×2"]) {
            _ = try RunRequest(inputs: ["/nonexistent.npy"]).perform(network: spatial) { _, _, _ in }
        }
        expectRuntimeError(["3 output channels but 2 labels"]) {
            var wrongLabels = network
            wrongLabels.labels = ["a", "b"]
            _ = try RunRequest(inputs: ["/nonexistent.npy"]).perform(network: wrongLabels) { _, _, _ in }
        }
        for top in [-1, 0] {
            expectRuntimeError(["--top needs an integer of at least 1, got '\(top)'"]) {
                _ = try RunRequest(inputs: ["/nonexistent.npy"], top: top).perform(network: network) { _, _, _ in }
            }
        }
    }
}
