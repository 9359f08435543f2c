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

    var flags: [String] {
        switch self {
        case .small: []
        case .medium: ["--embed", "650", "--hidden", "650", "--dropout", "0.5", "--tie-weights"]
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
