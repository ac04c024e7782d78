/// How many parameter values cnnc holds in memory at once: binding a weights file, replicating an
/// inline filter, `init-weights` and the code generator all materialise every value as float32.
/// Larger specs can be checked and summarised, not given weights (docs/spec.md).
public enum WeightLimits {
    /// 2³⁰ values: 4 GiB as float32.
    public static let maximumParameters = 1 << 30

    /// An error at the layer with the most values when the network's values exceed the limit.
    public static func check(_ network: CheckedNetwork) -> Diagnostics {
        var diagnostics = Diagnostics()
        var total = 0
        var largest: (layer: Int, count: Int)?
        var perLayer: [Int: Int] = [:]
        for slot in network.parameterSlots {
            // Each slot is at most 2⁴⁰ values and a network at most 200,000 layers: no overflow.
            let count = slot.shape.reduce(1, *)
            total += count
            perLayer[slot.layerIndex, default: 0] += count
        }
        guard total > maximumParameters else { return diagnostics }
        for (layer, count) in perLayer where count > (largest?.count ?? -1) || (count == largest?.count && layer < largest!.layer) {
            largest = (layer, count)
        }
        let layer = network.layers[largest!.layer]
        diagnostics.error("the network has \(total.grouped) parameter values (\(bytes(total * 4)) as float32), more than the \(maximumParameters.grouped) (4 GiB) cnnc can give weights to; '\(layer.name)' alone has \(largest!.count.grouped)",
                          at: layer.spec.location)
        return diagnostics
    }

    private static func bytes(_ count: Int) -> String {
        let gib = Double(count) / Double(1 << 30)
        return gib >= 1024 ? "\(Int(gib / 1024)) TiB" : "\(Int(gib.rounded())) GiB"
    }
}
