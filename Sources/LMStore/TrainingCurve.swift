import Foundation

/// The training-curve plot: train and validation perplexity against training windows, on
/// a logarithmic perplexity axis, as a self-contained SVG file.
package struct TrainingCurve {
    package var training: [(step: Double, perplexity: Double)] = []
    package var validation: [(step: Double, perplexity: Double)] = []
    package var title: String

    package init(title: String) { self.title = title }

    /// Reads the points from a metrics log (records with `"kind": "train"` / `"valid"`).
    package init(title: String, metricsAt path: String) {
        self.init(title: title)
        for record in MetricsLog.records(at: path) {
            guard let step = (record["step"] as? NSNumber)?.doubleValue,
                let perplexity = (record["perplexity"] as? NSNumber)?.doubleValue, perplexity.isFinite, perplexity > 0
            else { continue }
            switch record["kind"] as? String {
            case "train": training.append((step, perplexity))
            case "valid": validation.append((step, perplexity))
            default: break
            }
        }
    }

    package func svg(width: Double = 720, height: Double = 420) -> String {
        let (left, right, top, bottom) = (70.0, 20.0, 40.0, 50.0)
        let points = training + validation
        let maxStep = max(points.map(\.step).max() ?? 1, 1)
        let logs = points.map { log10($0.perplexity) }
        let lowest = floor(logs.min() ?? 0), highest = max(ceil(logs.max() ?? 1), floor(logs.min() ?? 0) + 1)
        func x(_ step: Double) -> Double { left + (width - left - right) * step / maxStep }
        func y(_ perplexity: Double) -> Double {
            top + (height - top - bottom) * (1 - (log10(perplexity) - lowest) / (highest - lowest))
        }
        func polyline(_ series: [(step: Double, perplexity: Double)], color: String) -> String {
            let coordinates = series.map { String(format: "%.1f,%.1f", x($0.step), y($0.perplexity)) }.joined(separator: " ")
            let dots = series.count <= 60 ? series.map { String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", x($0.step), y($0.perplexity), color) }.joined() : ""
            return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(coordinates)\"/>\(dots)"
        }
        var grid = ""
        var exponent = lowest
        while exponent <= highest {
            for multiple in [1.0, 2.0, 5.0] {
                let value = multiple * pow(10, exponent)
                guard log10(value) <= highest else { continue }
                let position = y(value)
                grid += String(format: "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>", left, width - right, position, position)
                grid += String(format: "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"12\">%@</text>", left - 6, position + 4, Self.label(value))
            }
            exponent += 1
        }
        let escapedTitle = title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Int(width / 2))" y="24" text-anchor="middle" font-size="15">\(escapedTitle)</text>
            \(grid)
            <line x1="\(left)" x2="\(width - right)" y1="\(height - bottom)" y2="\(height - bottom)" stroke="black"/>
            <line x1="\(left)" x2="\(left)" y1="\(top)" y2="\(height - bottom)" stroke="black"/>
            <text x="\(Int((left + width - right) / 2))" y="\(Int(height - 12))" text-anchor="middle" font-size="12">training windows (0 – \(Int(maxStep)))</text>
            <text x="16" y="\(Int(height / 2))" font-size="12" transform="rotate(-90 16 \(Int(height / 2)))" text-anchor="middle">perplexity (log scale)</text>
            \(polyline(training, color: "#1f77b4"))
            \(polyline(validation, color: "#d62728"))
            <text x="\(Int(width - right - 150))" y="\(Int(top + 14))" font-size="12" fill="#1f77b4">— train</text>
            <text x="\(Int(width - right - 150))" y="\(Int(top + 30))" font-size="12" fill="#d62728">— validation</text>
            </svg>

            """
    }

    static func label(_ value: Double) -> String {
        value >= 1000 ? String(format: "%.0fk", value / 1000) : String(format: "%.0f", value)
    }
}
