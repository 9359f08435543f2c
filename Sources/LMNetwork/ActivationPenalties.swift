/// Activation regularisation (AR) and temporal activation regularisation (TAR) of
/// AWD-LSTM (Merity, McCann & Socher 2017) on the last layer's outputs `[T, B, H]`:
/// `AR = α · mean(ĥ²)` on the outputs after dropout, which keeps activations small;
/// `TAR = β · mean((h_{t+1} − h_t)²)` on the outputs before dropout, which keeps them
/// slowly changing. Each adds its value to the loss and its gradient to the outputs'.
struct ActivationPenalties {
    /// α
    let activation: Float
    /// β
    let temporal: Float

    /// The `[T, B, H]` layout of the outputs.
    struct Shape {
        let windowLength: Int
        let batchSize: Int
        let width: Int
        var count: Int { windowLength * batchSize * width }
    }

    /// `gradient += 2α ĥ / N` for outputs `ĥ` `[T, B, H]`, `N = T·B·H`.
    /// - Returns: `α · Σ ĥ² / N` (0 when α is 0).
    func addActivation(of outputs: UnsafePointer<Float>, _ shape: Shape, gradient: UnsafeMutablePointer<Float>) -> Double {
        guard activation > 0 else { return 0 }
        let scale = 2 * activation / Float(shape.count)
        var sum = 0.0
        for index in 0..<shape.count {
            sum += Double(outputs[index] * outputs[index])
            gradient[index] += scale * outputs[index]
        }
        return Double(activation) * sum / Double(shape.count)
    }

    /// With `d_t = h_{t+1} − h_t` for `t < T − 1` and `N = (T−1)·B·H`:
    /// `gradient_t += 2β / N · (d_{t−1} − d_t)` (a term absent at either end).
    /// - Returns: `β · Σ d² / N` (0 when β is 0 or the window has one step).
    func addTemporal(of outputs: UnsafePointer<Float>, _ shape: Shape, gradient: UnsafeMutablePointer<Float>) -> Double {
        guard temporal > 0, shape.windowLength > 1 else { return 0 }
        let step = shape.batchSize * shape.width
        let differences = (shape.windowLength - 1) * step
        let scale = 2 * temporal / Float(differences)
        var sum = 0.0
        for index in 0..<differences {
            let difference = outputs[index + step] - outputs[index]
            sum += Double(difference * difference)
            gradient[index + step] += scale * difference
            gradient[index] -= scale * difference
        }
        return Double(temporal) * sum / Double(differences)
    }
}
