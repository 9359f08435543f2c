import Foundation
import LMStore
import LMTraining

/// Shows training progress: on a terminal one line per epoch, rewritten in place; otherwise
/// a plain line every `--log-every` windows. Log steps and validations also go to
/// `metrics.jsonl`.
final class ProgressPrinter {
    private let metrics: MetricsLog
    private let interactive: Bool
    /// Tokens per character of the validation text, and what its unknown tokens cost to
    /// spell per character: bits per character are bits per token times the first plus
    /// the second, on one scale for every tokenizer.
    private let validationTokensPerCharacter: Double
    private let validationSpellingBitsPerCharacter: Double
    private var lastDraw = Date.distantPast
    private var lineOpen = false

    init(metrics: MetricsLog, interactive: Bool, validationTokensPerCharacter: Double, validationSpellingBitsPerCharacter: Double) {
        self.metrics = metrics
        self.interactive = interactive
        self.validationTokensPerCharacter = validationTokensPerCharacter
        self.validationSpellingBitsPerCharacter = validationSpellingBitsPerCharacter
    }

    func handle(_ event: TrainingEvent) {
        switch event {
        case .progress(let progress):
            let line = String(
                format: "epoch %d/%d  step %d/%d  loss %.3f  ppl %.1f  %.0f tok/s  lr %.4g  elapsed %@  eta %@",
                progress.epoch, progress.epochs, progress.window, progress.windows, progress.loss, progress.perplexity,
                progress.tokensPerSecond, progress.learningRate, Self.clock(progress.elapsedSeconds),
                Self.clock(progress.epochSecondsLeft))
            if interactive && (Date().timeIntervalSince(lastDraw) > 0.2 || progress.window == progress.windows) {
                print("\r\u{1B}[K" + line, terminator: "")
                fflush(nil)
                lastDraw = Date()
                lineOpen = true
            }
            if progress.isLogStep {
                if !interactive {
                    print(line)
                    fflush(nil)  // a pipe or file is block-buffered: show each line as it comes
                }
                try? metrics.append([
                    "kind": "train", "epoch": progress.epoch, "step": progress.step, "tokens": progress.tokensSeen,
                    "loss": progress.loss,
                    "perplexity": progress.perplexity, "tokens_per_s": progress.tokensPerSecond,
                    "lr": Double(progress.learningRate), "elapsed_s": progress.elapsedSeconds,
                ])
            }
        case .validation(let epoch, let step, let perplexity, let learningRate, let outcome):
            finish()
            let note =
                switch outcome {
                case .improved: "best so far, saved"
                case .annealed(let rate): "no improvement; learning rate now \(rate)"
                case .unchanged: "no improvement"
                case .stop: "no improvement; stopping"
                }
            printValidation("epoch \(epoch)", perplexity: perplexity, note: note)
            try? metrics.append([
                "kind": "valid", "epoch": epoch, "step": step, "perplexity": perplexity,
                "bits_per_character": bitsPerCharacter(perplexity), "lr": Double(learningRate),
            ])
        case .averagingStarted(let epoch, let step):
            finish()
            print("epoch \(epoch): validation stopped improving (NT-ASGD): from now on the weights are averaged, and the average is validated and saved")
            fflush(nil)
            try? metrics.append(["kind": "averaging", "epoch": epoch, "step": step])
        case .budgetValidation(let epoch, let step, let perplexity, let improved):
            finish()
            printValidation(
                "epoch \(epoch) (part, at the time budget)", perplexity: perplexity,
                note: improved ? "best so far, saved" : "no improvement")
            try? metrics.append([
                "kind": "valid", "epoch": epoch, "step": step, "perplexity": perplexity,
                "bits_per_character": bitsPerCharacter(perplexity),
            ])
        }
    }

    func bitsPerCharacter(_ perplexity: Double) -> Double {
        log2(perplexity) * validationTokensPerCharacter + validationSpellingBitsPerCharacter
    }

    private func printValidation(_ label: String, perplexity: Double, note: String) {
        print(String(
            format: "%@ validation perplexity %.2f, %.3f bits per character (%@)", label, perplexity,
            bitsPerCharacter(perplexity), note))
        fflush(nil)
    }

    /// Ends the rewritten line so the next output starts on a fresh one.
    func finish() {
        if lineOpen { print("") }
        lineOpen = false
    }

    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return String(format: "%d:%02d", total / 60, total % 60)
    }
}
