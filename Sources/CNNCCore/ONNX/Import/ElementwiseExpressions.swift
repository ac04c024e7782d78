import Foundation
import ONNXProto

/// Element-wise arithmetic on one tensor `x`, as exporters spell activations: gelu as
/// `x · 0.5 · (1 + erf(x / √2))` over five nodes (in any order of operands), silu as `x · sigmoid(x)`,
/// relu6 as `Clip(x, 0, 6)`. The importer collects such nodes into an expression and writes it as a
/// layer only when something else reads it; the expression is recognised by evaluating it.
indirect enum Expression: Equatable {
    case base
    /// Stands for a part being written as a layer of its own (while splitting an expression).
    case placeholder
    case constant(Double)
    /// A one-input function, and the node that applied it (for naming the layer).
    case unary(UnaryFunction, Expression, node: String)
    /// A two-input operation, and the node that applied it.
    case binary(BinaryOperator, Expression, Expression, node: String)

    enum UnaryFunction: Equatable {
        case relu, sigmoid, tanh, erf, exp, negate
        case leakyReLU(alpha: Double)
        case elu(alpha: Double)
        case clip(low: Double, high: Double)
        /// The exact form, x·Φ(x).
        case gelu

        func callAsFunction(_ x: Double) -> Double {
            switch self {
            case .relu: max(0, x)
            case .sigmoid: 1 / (1 + Foundation.exp(-x))
            case .tanh: Foundation.tanh(x)
            case .erf: Foundation.erf(x)
            case .exp: Foundation.exp(x)
            case .negate: -x
            case .leakyReLU(let alpha): x >= 0 ? x : alpha * x
            case .elu(let alpha): x > 0 ? x : alpha * (Foundation.exp(x) - 1)
            case .clip(let low, let high): min(max(x, low), high)
            case .gelu: 0.5 * x * (1 + Foundation.erf(x / 2.squareRoot()))
            }
        }

        /// The spec's activation applying this function alone, if there is one.
        var activation: Activation? {
            switch self {
            case .relu: .relu
            case .sigmoid: .sigmoid
            case .tanh: .tanh
            case .leakyReLU(let alpha): .leakyReLU(alpha: Float(alpha))
            case .elu(let alpha): .elu(alpha: Float(alpha))
            case .clip(0, 6): .relu6
            case .clip(0, .infinity): .relu
            case .gelu: .gelu
            case .erf, .exp, .negate, .clip: nil
            }
        }
    }

    enum BinaryOperator: Equatable {
        case add, subtract, multiply, divide, maximum, minimum

        func callAsFunction(_ a: Double, _ b: Double) -> Double {
            switch self {
            case .add: a + b
            case .subtract: a - b
            case .multiply: a * b
            case .divide: a / b
            case .maximum: max(a, b)
            case .minimum: min(a, b)
            }
        }
    }

    func evaluate(_ x: Double) -> Double {
        switch self {
        case .base, .placeholder: x
        case .constant(let value): value
        case .unary(let function, let inner, _): function(inner.evaluate(x))
        case .binary(let op, let a, let b, _): op(a.evaluate(x), b.evaluate(x))
        }
    }

    /// Sample points that tell the activations apart: both signs, near zero and in the tails.
    static let samples: [Double] = stride(from: -8.0, through: 8.0, by: 0.25).map { $0 } + [-0.1, 0.1, -0.01, 0.01, 100, -100]

    /// The activation this expression computes, found by comparing values at the sample points (1e-5
    /// relative); `.some(nil)` for the identity (`x · 1`, `x + 0`); nil when it is none of them.
    var recognised: Activation?? {
        func matches(_ f: (Double) -> Double) -> Bool {
            Self.samples.allSatisfy { x in
                let (got, want) = (evaluate(x), f(x))
                return got.isFinite && abs(got - want) <= 1e-5 * max(1, abs(want))
            }
        }
        if matches({ $0 }) { return .some(nil) }
        let fixed: [Activation] = [.relu, .relu6, .sigmoid, .tanh, .gelu, .silu]
        for activation in fixed where matches({ Self.reference(activation, $0) }) { return activation }
        // leaky_relu and elu: the identity above zero, and alpha read off below it.
        if matches({ $0 > 0 ? $0 : evaluate($0) }) {
            let alpha = -evaluate(-1)
            if matches({ $0 >= 0 ? $0 : alpha * $0 }) { return .leakyReLU(alpha: Float(alpha)) }
            let eluAlpha = evaluate(-1) / (Foundation.exp(-1) - 1)
            if matches({ $0 > 0 ? $0 : eluAlpha * (Foundation.exp($0) - 1) }) { return .elu(alpha: Float(eluAlpha)) }
        }
        return nil
    }

    /// Every part of the expression except the whole, the base and constants: largest first.
    var parts: [Expression] {
        var found: [Expression] = []
        func visit(_ expression: Expression) {
            switch expression {
            case .base, .placeholder, .constant: return
            case .unary(_, let inner, _): visit(inner)
            case .binary(_, let a, let b, _):
                visit(a)
                visit(b)
            }
            if expression != self, !found.contains(expression) { found.append(expression) }
        }
        visit(self)
        return found.sorted { $0.size > $1.size }
    }

    /// The node that computed this part last.
    var lastNode: String? {
        switch self {
        case .base, .placeholder, .constant: nil
        case .unary(_, _, let node), .binary(_, _, _, let node): node
        }
    }

    var size: Int {
        switch self {
        case .base, .placeholder, .constant: 1
        case .unary(_, let inner, _): 1 + inner.size
        case .binary(_, let a, let b, _): 1 + a.size + b.size
        }
    }

    /// The expression with every occurrence of `part` replaced by the base, when the base occurs
    /// nowhere else (else the two could not be told apart).
    func replacing(_ part: Expression) -> Expression? {
        func substitute(_ expression: Expression) -> Expression {
            if expression == part { return .placeholder }
            switch expression {
            case .base, .placeholder, .constant: return expression
            case .unary(let f, let inner, let node): return .unary(f, substitute(inner), node: node)
            case .binary(let op, let a, let b, let node): return .binary(op, substitute(a), substitute(b), node: node)
            }
        }
        func containsBase(_ expression: Expression) -> Bool {
            switch expression {
            case .base: true
            case .placeholder, .constant: false
            case .unary(_, let inner, _): containsBase(inner)
            case .binary(_, let a, let b, _): containsBase(a) || containsBase(b)
            }
        }
        func restore(_ expression: Expression) -> Expression {
            switch expression {
            case .placeholder: .base
            case .base, .constant: expression
            case .unary(let f, let inner, let node): .unary(f, restore(inner), node: node)
            case .binary(let op, let a, let b, let node): .binary(op, restore(a), restore(b), node: node)
            }
        }
        let substituted = substitute(self)
        return containsBase(substituted) ? nil : restore(substituted)
    }

    static func reference(_ activation: Activation, _ x: Double) -> Double {
        switch activation {
        case .relu: max(0, x)
        case .relu6: min(max(0, x), 6)
        case .leakyReLU(let alpha): x >= 0 ? x : Double(alpha) * x
        case .elu(let alpha): x > 0 ? x : Double(alpha) * (Foundation.exp(x) - 1)
        case .sigmoid: 1 / (1 + Foundation.exp(-x))
        case .tanh: Foundation.tanh(x)
        case .gelu: 0.5 * x * (1 + Foundation.erf(x / 2.squareRoot()))
        case .silu: x / (1 + Foundation.exp(-x))
        case .softmax: x
        }
    }
}

extension ONNXImporter {
    /// Writes an expression as layers: one activation when the whole expression is one, else the
    /// chain of activations it applies one after another; nil (after a problem) when neither.
    mutating func materialize(_ expression: Expression, base: Tensor, nodes: [Onnx_NodeProto], name: String) -> Tensor? {
        guard let tensor = materializeChain(expression, base: base, name: name) else {
            var seen: Set<String> = []
            let names = nodes.filter { seen.insert($0.name).inserted }.map { "'\($0.name)' (\($0.opType))" }.joined(separator: ", ")
            problems.append("nodes \(names): their element-wise computation is not an activation cnnc has (relu, relu6, leaky_relu, elu, sigmoid, tanh, gelu, silu)")
            return nil
        }
        return tensor
    }

    private mutating func materializeChain(_ expression: Expression, base: Tensor, name: String) -> Tensor? {
        // An activation node applied last is a layer of its own, whatever it is applied to.
        if case .unary(let function, let inner, let node) = expression, let activation = function.activation {
            guard let innerTensor = materializeChain(inner, base: base, name: inner.lastNode ?? node + "_input") else { return nil }
            return addActivation(activation, on: innerTensor, name: node)
        }
        switch expression.recognised {
        case .some(.none):
            return base
        case .some(.some(let activation)):
            return addActivation(activation, on: base, name: name)
        case .none:
            // An activation spelled over the result of another (gelu written out on an elu's output):
            // the inner activation first, then the rest on its result.
            for part in expression.parts {
                guard case .some(.some) = part.recognised, let rest = expression.replacing(part) else { continue }
                guard let inner = materializeChain(part, base: base, name: part.lastNode ?? name + "_input") else { return nil }
                return materializeChain(rest, base: inner, name: name)
            }
            return nil
        }
    }

    private mutating func addActivation(_ activation: Activation, on tensor: Tensor, name: String) -> Tensor {
        var layer = ImportedLayer(name: uniqueName(Self.modulePath(name)), keyword: activation.keyword, inputs: [tensor.layer], dims: tensor.dims)
        switch activation {
        case .leakyReLU(let alpha), .elu(let alpha): layer["alpha"] = .number(alpha)
        case .relu, .relu6, .sigmoid, .tanh, .gelu, .silu, .softmax: break
        }
        addLayer(layer)
        return Tensor(layer: layer.name, dims: tensor.dims)
    }

    /// An element-wise node's operand as an expression over `base`: the base tensor itself, a pending
    /// expression on it, or a scalar constant; nil when it involves another tensor.
    func operand(_ name: String, base: inout Tensor?) throws(ImportFailure) -> (Expression, [Onnx_NodeProto])? {
        switch try value(name) {
        case .constant(let constant):
            guard let scalar = constant.scalar else { return nil }
            return (.constant(scalar), [])
        case .tensor(let tensor):
            if let existing = base, existing.layer != tensor.layer || tensor.pendingPad != nil { return nil }
            base = tensor
            return (.base, [])
        case .expression(let expression, let expressionBase, let nodes):
            if let existing = base, existing.layer != expressionBase.layer { return nil }
            base = expressionBase
            return (expression, nodes)
        case .transposed(_, _, let nodes):
            throw ImportFailure("reads '\(name)', which \(Self.transposedReason(nodes))")
        }
    }
}
