import ArgumentParser

/// The value of `--random-seed`. The parser accepts any integer, so that a negative or too
/// large seed reaches the command's range check and is reported like every other value out
/// of range (one line naming the flag, exit status 1); text that is no integer at all stays
/// a parse error.
struct RandomSeed: ExpressibleByArgument {
    /// The integer as typed: an optional sign, then decimal digits.
    let text: String

    init(_ value: UInt64) { text = String(value) }

    init?(argument: String) {
        let digits = argument.first == "-" || argument.first == "+" ? argument.dropFirst() : Substring(argument)
        guard !digits.isEmpty, digits.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
        text = argument
    }

    var defaultValueDescription: String { text }

    /// The seed; meaningful once ``check()`` has passed, as every flag's value is once its
    /// command's `validate()` has checked it.
    var value: UInt64 { UInt64(text) ?? 0 }

    /// Throws a ``CommandError`` naming `--random-seed` and its range when the integer is
    /// outside it.
    func check() throws {
        if UInt64(text) == nil { throw CommandError.flag("--random-seed", "must be an integer in [0, \(UInt64.max)]") }
    }
}
