import ArgumentParser

/// `train --preset NAME`: a complete, named recipe (model size, regularisation, schedule),
/// written as the flags it stands for. The flags go before the user's, so any flag given
/// beside a preset overrides it (an option's last value wins; `--no-tie-weights` and
/// `--no-variational-dropout` undo the boolean ones).
enum Preset: String, CaseIterable, ExpressibleByArgument {
    /// lmtool's defaults: the PyTorch word-language-model example (2 x 200 LSTM, dropout 0.2).
    case small
    /// Zaremba, Sutskever & Vinyals 2014's medium LSTM: 2 x 650, dropout 0.5, with the
    /// embedding and decoder tied (Inan et al.; Press & Wolf 2017).
    case medium
    /// AWD-LSTM (Merity, Keskar & Socher 2017) as its WikiText-2 recipe sets it: 3 layers
    /// of 400 / 1150 / 400 tied to a 400-wide embedding, locked dropout 0.65 / 0.2 / 0.4,
    /// weight drop 0.5, embedding dropout 0.1, AR 2, TAR 1, NT-ASGD at 30, windows drawn
    /// around 70.
    case awd

    var flags: [String] {
        switch self {
        case .small: []
        case .medium: ["--embed", "650", "--hidden", "650", "--dropout", "0.5", "--tie-weights"]
        case .awd:
            [
                "--layers", "3", "--embed", "400", "--hidden", "1150", "--last-hidden", "400", "--tie-weights",
                "--variational-dropout", "--dropout-input", "0.65", "--dropout-hidden", "0.2", "--dropout-output", "0.4",
                "--weight-drop", "0.5", "--embedding-dropout", "0.1", "--ar", "2", "--tar", "1", "--optimizer", "nt-asgd", "--lr", "30",
                "--bptt", "70", "--variable-bptt", "--weight-decay", "1.2e-6",
            ]
        }
    }

    /// `arguments` (without the executable) with a `train` command's `--preset NAME`
    /// preceded by the preset's flags; other arguments as they are. An unknown name is left
    /// for the parser to refuse.
    static func expanding(_ arguments: [String]) -> [String] {
        guard arguments.first == "train" else { return arguments }
        var preset: Preset?
        for (index, argument) in arguments.enumerated() {
            if argument == "--" { break }
            if argument == "--preset", index + 1 < arguments.count {
                preset = Preset(rawValue: arguments[index + 1])
            } else if argument.hasPrefix("--preset=") {
                preset = Preset(rawValue: String(argument.dropFirst("--preset=".count)))
            }
        }
        guard let preset else { return arguments }
        return ["train"] + preset.flags + arguments.dropFirst()
    }
}
