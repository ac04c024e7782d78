import Foundation
import Testing

/// Weights saved from real PyTorch modules (Tests/Fixtures/state_dicts, tools/make_state_dict_fixtures.py):
/// an `nn.Sequential`, a module with named attributes, a ResNet with BatchNorm and a tiny module, each
/// with its recorded state-dict key list (`NAME.json`, in state-dict order, `num_batches_tracked`
/// included) and the spec that reads it with `weights_names`, `weights_prefix` or `tensor:`.
@Suite struct StateDictTests {
    static let folder = repositoryRoot.appendingPathComponent("Tests/Fixtures/state_dicts")
    static let fixtures = ["sequential", "named", "resnet20", "tiny"]

    struct Key: Decodable { var name: String; var shape: [Int] }

    static func keys(_ fixture: String) throws -> [Key] {
        try JSONDecoder().decode([Key].self, from: Data(contentsOf: folder.appendingPathComponent(fixture + ".json")))
    }

    static func path(_ file: String) -> String { "Tests/Fixtures/state_dicts/" + file }

    /// The tensor names a spec reads, from its summary (`tensor_prefix` + role, per layer kind).
    static func tensorNames(_ spec: String) throws -> Set<String> {
        let summary = try cnnc("summary", spec, "--format", "json")
        let object = try JSONSerialization.jsonObject(with: Data(summary.stdout.utf8)) as? [String: Any]
        var names: Set<String> = []
        for layer in (object?["layers"] as? [[String: Any]]) ?? [] {
            guard let prefix = layer["tensor_prefix"] as? String, let kind = layer["kind"] as? String else { continue }
            let options = layer["options"] as? [String: Any]
            let roles = kind == "batchnorm" ? ["weight", "bias", "running_mean", "running_var"]
                : (options?["bias"] as? Bool == false ? ["weight"] : ["weight", "bias"])
            for role in roles { names.insert("\(prefix).\(role)") }
        }
        return names
    }

    @Test func theFixturesAreThere() throws {
        for fixture in Self.fixtures {
            #expect(try Self.keys(fixture).count >= 6, "\(fixture).json")
        }
    }

    /// Every recorded key but the step counts is read by exactly the spec's layers, and the file binds
    /// with no diagnostic at all: no warning for `num_batches_tracked`.
    @Test(arguments: fixtures)
    func aRealStateDictBindsWithoutAWarning(_ fixture: String) throws {
        let keys = try Self.keys(fixture)
        let spec = Self.path(fixture + ".yaml")
        let expected = Set(keys.map(\.name).filter { !$0.hasSuffix(".num_batches_tracked") })
        #expect(try Self.tensorNames(spec) == expected)
        if fixture != "named" {  // NamedNet's only BatchNorm is features.1
            #expect(keys.contains { $0.name.hasSuffix(".num_batches_tracked") })
        }
        let result = try cnnc("check", spec, "--weights", Self.path(fixture + ".safetensors"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(spec): ok\n")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
    }

    @Test func theSpecsUseEachNamingForm() throws {
        let sequential = try String(contentsOfFile: Self.path("sequential.yaml"), encoding: .utf8)
        #expect(sequential.contains("\nweights_names: sequential\n"))
        #expect(!sequential.contains("{name:"), "the layers need no names")
        let named = try String(contentsOfFile: Self.path("named.yaml"), encoding: .utf8)
        #expect(named.contains("\nweights_prefix: features.\n"))
        #expect(named.contains("tensor: classifier"))
    }

    /// The Sequential's spec as a user first writes it, without `weights_names`: one error per layer,
    /// each proposing the position whose tensors have the right shapes (never a near name of another
    /// shape), the spec-level fix once, and the unused tensors as one warning.
    @Test func withoutWeightsNamesTheHintsNameThePositions() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try String(contentsOfFile: Self.path("sequential.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "weights_names: sequential\n", with: "")
        let spec = directory.appendingPathComponent("plain.yaml")
        try text.write(to: spec, atomically: true, encoding: .utf8)
        let weights = Self.path("sequential.safetensors")
        let result = try cnnc("check", spec.path, "--weights", weights)
        #expect(result.status == 1)
        let stderr = result.stderr
        #expect(stderr.contains("warning: 12 tensors in \(weights) are used by no layer: "), "\(stderr)")
        #expect(!stderr.contains("num_batches_tracked"))
        #expect(stderr.components(separatedBy: "add 'weights_names: sequential' to the spec").count == 2, "\(stderr)")
        #expect(stderr.contains("error: 'dense2' needs tensors 'dense2.weight' [10, 64] and 'dense2.bias' [10], which \(weights) does not have"))
        #expect(stderr.contains("note: the file has '11.weight', '11.bias' of those shapes; name the layer '11' or write tensor: \"11\" to use them"))
        #expect(stderr.contains("note: the file has '4.weight', '4.bias', '4.running_mean', '4.running_var' of those shapes; name the layer '4'"))
        #expect(stderr.hasSuffix("plain.yaml: 5 errors\n"), "\(stderr)")
    }

    /// A state dict of the ResNet wrapped once more (`model.conv1.weight`, …, written by
    /// `cnnc init-weights` for the spec with `weights_prefix: model.`) read by the plain spec: the
    /// diagnostic proposes the `weights_prefix` line.
    @Test func aPrefixedFileSuggestsWeightsPrefix() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try String(contentsOfFile: Self.path("resnet20.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "\nlayers:\n", with: "\nweights_prefix: model.\nlayers:\n")
        let prefixed = directory.appendingPathComponent("prefixed.yaml")
        try text.write(to: prefixed, atomically: true, encoding: .utf8)
        let weights = directory.appendingPathComponent("wrapped.safetensors").path
        #expect(try cnnc("init-weights", prefixed.path, "-o", weights).status == 0)
        #expect(try cnnc("check", prefixed.path, "--weights", weights).status == 0)
        let result = try cnnc("check", Self.path("resnet20.yaml"), "--weights", weights)
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: 'conv1' needs tensor 'conv1.weight' [16, 3, 3, 3]"), "\(result.stderr)")
        #expect(result.stderr.contains("note: the file's names carry the prefix 'model.'; add 'weights_prefix: model.' to the spec"), "\(result.stderr)")
    }
}
