/// Seeded weights for `cnnc init-weights`, so any spec can run without training.
///
/// Each tensor draws from its own generator, seeded with the seed and the tensor's name, so adding a
/// layer never changes another layer's values, and the same seed gives the same bytes everywhere.
public enum WeightInitializer {
    public enum Mode: Sendable {
        /// He-normal weights (std √(2 / fan-in)), zero biases, batchnorm scale 1, shift 0, mean 0, variance 1.
        case standard
        /// As `standard`, but biases and batchnorm parameters and statistics are random too, so every
        /// code path that uses them is exercised; for testing.
        case randomizeAll
    }

    /// Every slot of `network` that `skip` does not name, in layer order, with its values.
    public static func tensors(for network: CheckedNetwork, seed: UInt64, mode: Mode = .standard,
                               skipping skip: Set<String> = []) -> [SafeTensorsWriter.Tensor] {
        network.parameterSlots.filter { !skip.contains($0.name) }.map { slot in
            var rng = Xoshiro256StarStar(seed: seed ^ fnv1a(slot.name))
            let values: [Float]
            switch slot.initial {
            case .heNormal(let fanIn):
                values = heNormal(count: slot.count, fanIn: fanIn, rng: &rng)
            case .ones:
                values = mode == .standard ? constant(1, slot) : uniform(0.5, 1.5, slot, &rng)
            case .zeros:
                values = mode == .standard ? constant(0, slot) : uniform(-0.5, 0.5, slot, &rng)
            }
            return (slot.name, slot.shape, values)
        }
    }

    private static func constant(_ value: Float, _ slot: ParameterSlot) -> [Float] {
        [Float](repeating: value, count: slot.count)
    }

    private static func uniform(_ low: Double, _ high: Double, _ slot: ParameterSlot, _ rng: inout Xoshiro256StarStar) -> [Float] {
        (0..<slot.count).map { _ in Float(low + (high - low) * rng.nextDouble()) }
    }

    /// FNV-1a over the name's UTF-8 bytes: a fixed, portable string hash (Swift's own is seeded per process).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
