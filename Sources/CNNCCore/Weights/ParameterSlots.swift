/// What a tensor is for, within its layer.
public enum ParameterRole: String, Sendable, CaseIterable {
    case weight
    case bias
    case runningMean = "running_mean"
    case runningVar = "running_var"
}

/// One tensor a layer needs: its PyTorch state-dict name and shape.
public struct ParameterSlot: Hashable, Sendable {
    public var layerIndex: Int
    public var role: ParameterRole
    /// `<layer>.<role>`, as PyTorch names it.
    public var name: String
    public var shape: [Int]

    public var count: Int { shape.reduce(1, *) }
}

extension CheckedNetwork {
    /// Every tensor the network needs, in layer order, with PyTorch's layouts: conv
    /// `[out, in/groups, kh, kw]`, dense `[out, in]` (in in C, H, W flatten order), biases `[out]`,
    /// batchnorm `weight`, `bias`, `running_mean`, `running_var` `[C]`.
    public var parameterSlots: [ParameterSlot] {
        layers.flatMap(\.parameterSlots)
    }
}

extension CheckedLayer {
    public var parameterSlots: [ParameterSlot] {
        func slot(_ role: ParameterRole, _ shape: [Int]) -> ParameterSlot {
            ParameterSlot(layerIndex: index, role: role, name: "\(name).\(role.rawValue)", shape: shape)
        }
        switch operation {
        case .conv(let conv):
            let weight = slot(.weight, [conv.outChannels, conv.inChannelsPerGroup, conv.window.kernel.height, conv.window.kernel.width])
            return conv.hasBias ? [weight, slot(.bias, [conv.outChannels])] : [weight]
        case .dense(let dense):
            let weight = slot(.weight, [dense.outFeatures, dense.inFeatures])
            return dense.hasBias ? [weight, slot(.bias, [dense.outFeatures])] : [weight]
        case .batchNorm:
            let channels = [output.channels]
            return [slot(.weight, channels), slot(.bias, channels), slot(.runningMean, channels), slot(.runningVar, channels)]
        case .maxPool, .avgPool, .globalAvgPool, .globalMaxPool, .activation, .dropout, .flatten:
            return []
        }
    }
}

/// The values of every parameter of a network, by slot name.
public struct NetworkWeights: Sendable {
    public private(set) var values: [String: [Float]]

    public init(values: [String: [Float]] = [:]) {
        self.values = values
    }

    public subscript(_ slot: ParameterSlot) -> [Float]? {
        get { values[slot.name] }
        set { values[slot.name] = newValue }
    }

    public subscript(name name: String) -> [Float]? {
        get { values[name] }
        set { values[name] = newValue }
    }
}
