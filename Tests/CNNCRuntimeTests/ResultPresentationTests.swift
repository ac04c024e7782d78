import CNNCRuntime
import Foundation
import Testing

@Suite struct ResultJSONTests {
    @Test func vectorResultHasTheDocumentedLayout() {
        let batch = OutputBatch(shape: FeatureShape(vector: 3), count: 2, values: [0.5, 2, -1, 1, 1, 1],
                                names: ["x.npy", "y.pgm"])
        let json = ResultPresentation.json(batch, labels: ["cat", "dog", "eel"], top: 2)
        #expect(json == """
            {
              "output_shape": [3],
              "results": [
                {
                  "input": "x.npy",
                  "values": [0.5, 2.0, -1.0],
                  "argmax": 1,
                  "label": "dog",
                  "top": [
                    {"index": 1, "label": "dog", "value": 2.0},
                    {"index": 0, "label": "cat", "value": 0.5}
                  ]
                },
                {
                  "input": "y.pgm",
                  "values": [1.0, 1.0, 1.0],
                  "argmax": 0,
                  "label": "cat",
                  "top": [
                    {"index": 0, "label": "cat", "value": 1.0},
                    {"index": 1, "label": "dog", "value": 1.0}
                  ]
                }
              ]
            }

            """)
    }

    @Test func withoutLabelsThereAreNoLabelKeysAndTopDefaultsToFive() throws {
        let values: [Float] = [0.1, 0.7, 0.05, 0.9, 0.3, 0.2, 0.6]
        let batch = OutputBatch(shape: FeatureShape(vector: 7), count: 1, values: values, names: ["s.f32"])
        let json = ResultPresentation.json(batch, labels: nil)
        #expect(!json.contains("label"))
        let object = try #require(try parseJSON(json) as? [String: Any])
        #expect(object["output_shape"] as? [Int] == [7])
        let result = try #require((object["results"] as? [[String: Any]])?.first)
        #expect(result["input"] as? String == "s.f32")
        #expect(result["argmax"] as? Int == 3)
        let top = try #require(result["top"] as? [[String: Any]])
        #expect(top.compactMap { $0["index"] as? Int } == [3, 1, 6, 4, 5])
        // Keys in the documented order.
        let positions = ["\"input\"", "\"values\"", "\"argmax\"", "\"top\""].map { json.range(of: $0)!.lowerBound }
        #expect(positions == positions.sorted())
    }

    @Test func topHoldsAtMostTheOutputCount() {
        let batch = OutputBatch(shape: FeatureShape(vector: 2), count: 1, values: [1, 2], names: ["a"])
        #expect(ResultPresentation.json(batch, labels: nil, top: 10).components(separatedBy: "\"index\"").count == 3)
        #expect(ResultPresentation.json(batch, labels: nil, top: 0).contains("\"top\": []"))
    }

    @Test func nonFiniteValuesBecomeNull() throws {
        let batch = OutputBatch(shape: FeatureShape(vector: 4), count: 1, values: [.nan, .infinity, -.infinity, 1e-5],
                                names: ["n"])
        let json = ResultPresentation.json(batch, labels: nil, top: 4)
        #expect(json.contains("\"values\": [null, null, null, 1e-05]"))
        #expect(!json.contains("nan") && !json.contains("inf"))
        // +infinity ranks first, NaN last.
        #expect(json.contains("\"argmax\": 1"))
        #expect(json.contains("{\"index\": 0, \"value\": null}\n"))
        _ = try parseJSON(json)
    }

    @Test func stringsAreEscaped() throws {
        let name = "dir/\"quoted\" back\\slash\nnew\tline\u{01}\u{1F} é 🙂"
        let label = "a\"b"
        let batch = OutputBatch(shape: FeatureShape(vector: 1), count: 1, values: [1], names: [name])
        let json = ResultPresentation.json(batch, labels: [label])
        #expect(json.contains(#""input": "dir/\"quoted\" back\\slash\u000Anew\u0009line\u0001\u001F é 🙂""#))
        let object = try #require(try parseJSON(json) as? [String: Any])
        let result = try #require((object["results"] as? [[String: Any]])?.first)
        #expect(result["input"] as? String == name)
        #expect(result["label"] as? String == label)
    }

    @Test func spatialResultIsAFlatListWithoutRanking() throws {
        let shape = FeatureShape(channels: 2, height: 1, width: 2)
        let batch = OutputBatch(shape: shape, count: 1, values: [1, 2, 3, 4], names: ["img.pgm"])
        let json = ResultPresentation.json(batch, labels: ["a", "b"])
        #expect(json.contains("\"output_shape\": [2, 1, 2]"))
        #expect(json.contains("\"values\": [1.0, 2.0, 3.0, 4.0]"))
        #expect(!json.contains("argmax") && !json.contains("top") && !json.contains("label"))
        _ = try parseJSON(json)
    }
}

@Suite struct TopIndicesTests {
    @Test func descendingWithTiesByLowerIndex() {
        #expect(ResultPresentation.topIndices([1, 3, 3, 2, 3], count: 3) == [1, 2, 4])
        #expect(ResultPresentation.topIndices([1, 3, 3, 2, 3], count: 5) == [1, 2, 4, 3, 0])
        #expect(ResultPresentation.topIndices([5, 5, 5], count: 2) == [0, 1])
    }

    @Test func nanRanksLastAndCountIsClamped() {
        #expect(ResultPresentation.topIndices([.nan, 1, .nan, 0, -.infinity], count: 9) == [1, 3, 4, 0, 2])
        #expect(ResultPresentation.topIndices([1, 2], count: 0) == [])
        #expect(ResultPresentation.topIndices([1, 2], count: -3) == [])
        #expect(ResultPresentation.topIndices([], count: 3) == [])
    }

    @Test func worksOnASliceOfABatch() {
        let batch: [Float] = [9, 9, 9, 0.1, 0.3, 0.2]
        #expect(ResultPresentation.topIndices(batch[3..<6], count: 2) == [1, 2])
    }

    @Test func agreesWithAFullSortOnRandomData() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let values = (0..<40).map { _ in Float(Int.random(in: 0..<10, using: &generator)) }
            let sorted = values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
            #expect(ResultPresentation.topIndices(values[...], count: 7) == Array(sorted.prefix(7)))
        }
    }
}

@Suite struct OutputDestinationTests {
    let vector = FeatureShape(vector: 10)
    let spatial = FeatureShape(channels: 16, height: 7, width: 7)
    let gray = FeatureShape(channels: 1, height: 4, width: 4)
    let color = FeatureShape(channels: 3, height: 4, width: 4)

    @Test func vectorsPrintAndSpatialResultsNeedAFileOrExplicitJSON() throws {
        #expect(try ResultPresentation.destination(output: nil, format: nil, outputShape: vector) == .standardOutput)
        #expect(try ResultPresentation.destination(output: nil, format: .json, outputShape: spatial) == .standardOutput)
        do {
            _ = try ResultPresentation.destination(output: nil, format: nil, outputShape: spatial)
            Issue.record("expected an error")
        } catch {
            #expect(error.message ==
                "the output is 16×7×7; write it with --output FILE (.npy, .pgm or .ppm) or print it with --format json")
        }
        expectRuntimeError(["--format npy needs --output FILE"]) {
            _ = try ResultPresentation.destination(output: nil, format: .npy, outputShape: vector)
        }
    }

    @Test func formatFromExtensionOrFlag() throws {
        func destination(_ path: String, _ format: OutputFormat? = nil, _ shape: FeatureShape) throws -> OutputDestination {
            try ResultPresentation.destination(output: path, format: format, outputShape: shape)
        }
        #expect(try destination("r.npy", nil, spatial) == .file(path: "r.npy", format: .npy))
        #expect(try destination("r.JSON", nil, spatial) == .file(path: "r.JSON", format: .json))
        #expect(try destination("r.pgm", nil, gray) == .file(path: "r.pgm", format: .pgm))
        #expect(try destination("r.ppm", nil, color) == .file(path: "r.ppm", format: .ppm))
        #expect(try destination("r.pnm", nil, color) == .file(path: "r.pnm", format: .ppm))
        #expect(try destination("r.pnm", nil, gray) == .file(path: "r.pnm", format: .pgm))
        #expect(try destination("r.f32", nil, vector) == .file(path: "r.f32", format: .f32))
        #expect(try destination("r.out", .npy, vector) == .file(path: "r.out", format: .npy))
        expectRuntimeError(["r.txt", "cannot tell the output format", "--format"]) { _ = try destination("r.txt", nil, vector) }
        expectRuntimeError(["r.pgm", "PGM image holds 1 channel", "16×7×7"]) { _ = try destination("r.pgm", nil, spatial) }
        expectRuntimeError(["r.ppm", "PPM image holds 3 channels", "1×4×4"]) { _ = try destination("r.ppm", nil, gray) }
        expectRuntimeError(["r.ppm", "vector of 10 values", "not an image"]) { _ = try destination("r.ppm", nil, vector) }
        expectRuntimeError(["x", "vector of 10 values"]) { _ = try destination("x", .pgm, vector) }
    }

    @Test func imagePathsNumberABatch() {
        #expect(ResultPresentation.imagePaths(path: "out/res.pgm", count: 1) == ["out/res.pgm"])
        #expect(ResultPresentation.imagePaths(path: "out/res.pgm", count: 3) == ["out/res-0.pgm", "out/res-1.pgm", "out/res-2.pgm"])
        #expect(ResultPresentation.imagePaths(path: "res", count: 2) == ["res-0", "res-1"])
        #expect(ResultPresentation.imagePaths(path: "/.hidden", count: 2) == ["/.hidden-0", "/.hidden-1"])
        #expect(ResultPresentation.imagePaths(path: "a.b/c.ppm", count: 2) == ["a.b/c-0.ppm", "a.b/c-1.ppm"])
    }
}

@Suite struct ResultWriterTests {
    @Test func npyHoldsNByFForVectorsAndNCHWForSpatialResults() throws {
        try withTemporaryDirectory { directory in
            let vectors = OutputBatch(shape: FeatureShape(vector: 3), count: 2, values: [1, 2, 3, 4, 5, 6], names: ["a", "b"])
            let flatPath = directory + "/flat.npy"
            #expect(try ResultPresentation.write(vectors, path: flatPath, format: .npy, labels: nil) == [flatPath])
            #expect(try NPY.read(path: flatPath) == NPYArray(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]))

            let maps = OutputBatch(shape: FeatureShape(channels: 2, height: 1, width: 2), count: 1, values: [1, 2, 3, 4], names: ["a"])
            let mapPath = directory + "/maps.npy"
            try ResultPresentation.write(maps, path: mapPath, format: .npy, labels: nil)
            #expect(try NPY.read(path: mapPath) == NPYArray(shape: [1, 2, 1, 2], values: [1, 2, 3, 4]))

            let rawPath = directory + "/raw.f32"
            try ResultPresentation.write(maps, path: rawPath, format: .f32, labels: nil)
            #expect(try RawFloat32.read(path: rawPath) == [1, 2, 3, 4])
        }
    }

    @Test func imageBatchesWriteNumberedFiles() throws {
        try withTemporaryDirectory { directory in
            let shape = FeatureShape(channels: 1, height: 1, width: 2)
            let batch = OutputBatch(shape: shape, count: 2, values: [0, 1, 1, 0], names: ["a", "b"])
            let written = try ResultPresentation.write(batch, path: directory + "/mask.pgm", format: .pgm, labels: nil)
            #expect(written == [directory + "/mask-0.pgm", directory + "/mask-1.pgm"])
            #expect(try NetPBM.read(path: written[0]).values == [0, 1])
            #expect(try NetPBM.read(path: written[1]).values == [1, 0])
            #expect(directoryEntries(directory) == ["mask-0.pgm", "mask-1.pgm"])

            let single = OutputBatch(shape: shape, count: 1, values: [0.5, 0.25], names: ["a"])
            try ResultPresentation.write(single, path: directory + "/one.pgm", format: .pgm, labels: nil)
            #expect(readFile(directory + "/one.pgm") == Array("P5\n2 1\n255\n".utf8) + [128, 64])
        }
    }

    @Test func jsonFileHoldsTheSameTextAsStandardOutput() throws {
        try withTemporaryDirectory { directory in
            let batch = OutputBatch(shape: FeatureShape(vector: 2), count: 1, values: [1, 2], names: ["a"])
            try ResultPresentation.write(batch, path: directory + "/r.json", format: .json, labels: ["x", "y"], top: 1)
            #expect(readFile(directory + "/r.json") == Array(ResultPresentation.json(batch, labels: ["x", "y"], top: 1).utf8))
        }
    }
}
