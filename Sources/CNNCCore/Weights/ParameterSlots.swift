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
    /// How `init-weights` fills it.
    public var initial: InitialValues

    public var count: Int { shape.reduce(1, *) }
}

extension CheckedNetwork {
    /// Every tensor the network needs, in layer order, with PyTorch's layouts (each operation's file
    /// in `Operators/` states its own): conv `[out, in/groups, kh, kw]`, conv_transpose
    /// `[in, out/groups, kh, kw]`, dense `[out, in]` (in in C, H, W flatten order), biases `[out]`,
    /// batchnorm `weight`, `bias`, `running_mean`, `running_var` `[C]`.
    public var parameterSlots: [ParameterSlot] {
        layers.flatMap(\.parameterSlots)
    }
}

extension CheckedLayer {
    public var parameterSlots: [ParameterSlot] {
        operation.rules.parameters(of: self).map { parameter in
            ParameterSlot(layerIndex: index, role: parameter.role, name: tensorName(parameter.role), shape: parameter.shape,
                          initial: parameter.initial)
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
