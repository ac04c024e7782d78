/// Finds a network's weights: the `--weights` file if given, else the spec's `weights:` file (relative
/// to the spec), plus inline values; reports problems as diagnostics of the spec.
public struct WeightsLoader {
    public struct Outcome: Sendable {
        /// The file used, as a path from the working directory.
        public var filePath: String?
        public var binding: WeightBinder.Result
        /// The weights file could not be read at all (not found, not readable, …): a one-line error.
        public var fileError: WeightsFileError?
    }

    public static func load(_ network: CheckedNetwork, override: String?) -> Outcome {
        var diagnostics = Diagnostics()
        var path = override
        if path == nil, let named = network.spec.weightsPath {
            path = FileSystem.resolve(named.value, relativeTo: network.spec.path)
        }
        var file: SafeTensorsFile?
        if let path {
            do {
                file = try SafeTensorsFile.read(path: path)
            } catch {
                // A file named in the spec is part of the spec: point at the name.
                if override == nil, let named = network.spec.weightsPath {
                    diagnostics.error(error.message, at: named.location)
                    var binding = WeightBinder.bind(network, file: nil)
                    binding.diagnostics.append(contentsOf: diagnostics)
                    binding.weights = nil
                    return Outcome(filePath: path, binding: binding, fileError: nil)
                }
                return Outcome(filePath: path, binding: WeightBinder.Result(weights: nil, missing: [], diagnostics: diagnostics),
                               fileError: error)
            }
        }
        return Outcome(filePath: path, binding: WeightBinder.bind(network, file: file), fileError: nil)
    }
}
