import CICU

/// Splits text into tokens according to ``TokenizerOptions``.
///
/// Lines are processed one at a time (line ends become ``SpecialToken/endOfLine`` in the
/// corpus reader, not here). Per line: case folding when asked, NFC normalisation (ICU;
/// skipped when ICU's quick check says the line is NFC already), literal `<unk>` cut out
/// as the unknown token, then the mode's split. A tokenizer keeps its buffers and ICU
/// iterators between lines: use one per thread.
public final class Tokenizer {
    public let options: TokenizerOptions
    private let breaker: ICUBreaker?
    private var folded: [UInt16] = []
    private var normalized: [UInt16] = []
    private static let unknownUnits = Array(SpecialToken.unknown.utf16)

    public init(options: TokenizerOptions) {
        self.options = options
        breaker =
            switch options.mode {
            case .word: ICUBreaker(.word)
            case .character: ICUBreaker(.character)
            case .whitespace: nil
            }
    }

    /// Calls `body` with each token of `line` (UTF-16, no line end), in order.
    public func forEachToken(inLine line: UnsafeBufferPointer<UInt16>, _ body: (UnsafeBufferPointer<UInt16>) -> Void) {
        var text = line
        if options.lowercase { text = transform(text, into: &folded, with: cicu_fold_case) }
        if options.mode != .whitespace && !isNFC(text) { text = transform(text, into: &normalized, with: cicu_normalize_nfc) }
        var start = 0
        var index = 0
        let unknown = Self.unknownUnits
        while index + unknown.count <= text.count {
            if text[index] == 0x3C && unknown.indices.allSatisfy({ text[index + $0] == unknown[$0] }) {
                split(UnsafeBufferPointer(rebasing: text[start..<index]), body)
                unknown.withUnsafeBufferPointer(body)
                index += unknown.count
                start = index
            } else {
                index += 1
            }
        }
        split(UnsafeBufferPointer(rebasing: text[start..<text.count]), body)
    }

    /// The tokens of `text`, each line followed by `<eos>` (a final line without a line
    /// end too): a convenience for tests and small inputs.
    public func tokens(in text: String) -> [String] {
        var tokens: [String] = []
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        if lines.last?.isEmpty == true { lines.removeLast() }
        for line in lines {
            let units = Array(line.utf16)
            units.withUnsafeBufferPointer { buffer in
                forEachToken(inLine: buffer) { tokens.append(String(decoding: $0, as: UTF16.self)) }
            }
            tokens.append(SpecialToken.endOfLine)
        }
        return tokens
    }

    // MARK: - Splitting

    private func split(_ text: UnsafeBufferPointer<UInt16>, _ body: (UnsafeBufferPointer<UInt16>) -> Void) {
        guard !text.isEmpty else { return }
        switch options.mode {
        case .whitespace:
            var start: Int?
            var index = 0
            while index < text.count {
                let (scalar, width) = Self.scalar(in: text, at: index)
                if Self.isWhiteSpace(scalar) {
                    if let begin = start { emit(text, begin, index, body) }
                    start = nil
                } else if start == nil {
                    start = index
                }
                index += width
            }
            if let begin = start { emit(text, begin, text.count, body) }
        case .character:
            breaker?.forEachSegment(text) { start, end, _ in emit(text, start, end, body) }
        case .word:
            breaker?.forEachSegment(text) { start, end, status in
                // Rule status 100 and above: numbers, letters, kana, ideographs.
                if status >= 100 {
                    emit(text, start, end, body)
                    return
                }
                var allWhiteSpace = true
                var allPunctuation = true
                var index = start
                while index < end {
                    let (scalar, width) = Self.scalar(in: text, at: index)
                    if !Self.isWhiteSpace(scalar) { allWhiteSpace = false }
                    if !Self.isPunctuation(scalar) { allPunctuation = false }
                    index += width
                }
                if allWhiteSpace || (allPunctuation && !options.keepPunctuation) { return }
                emit(text, start, end, body)
            }
        }
    }

    private func emit(
        _ text: UnsafeBufferPointer<UInt16>, _ start: Int, _ end: Int, _ body: (UnsafeBufferPointer<UInt16>) -> Void
    ) {
        let token = UnsafeBufferPointer(rebasing: text[start..<end])
        if let limit = options.maxTokenLength {
            let scalars = token.reduce(0) { $0 + (($1 & 0xFC00) == 0xDC00 ? 0 : 1) }
            if scalars > limit {
                Self.unknownUnits.withUnsafeBufferPointer(body)
                return
            }
        }
        body(token)
    }

    // MARK: - ICU transforms

    private func isNFC(_ text: UnsafeBufferPointer<UInt16>) -> Bool {
        guard let base = text.baseAddress else { return true }
        // ASCII is always NFC; most lines of most corpora are.
        if !text.contains(where: { $0 >= 0x300 }) { return true }
        var status: Int32 = 0
        return cicu_is_nfc(base, Int32(text.count), &status) == 1 && status <= 0
    }

    private typealias Transform = (
        UnsafePointer<UInt16>?, Int32, UnsafeMutablePointer<UInt16>?, Int32, UnsafeMutablePointer<Int32>?
    ) -> Int32

    /// Runs an ICU string transform into `buffer`, growing it when ICU asks for more room.
    private func transform(
        _ text: UnsafeBufferPointer<UInt16>, into buffer: inout [UInt16], with function: Transform
    ) -> UnsafeBufferPointer<UInt16> {
        guard !text.isEmpty else { return text }
        var capacity = max(buffer.count, text.count * 2 + 16)
        while true {
            if buffer.count < capacity { buffer = Array(repeating: 0, count: capacity) }
            var status: Int32 = 0
            let length = buffer.withUnsafeMutableBufferPointer { output in
                function(text.baseAddress, Int32(text.count), output.baseAddress, Int32(output.count), &status)
            }
            if status <= 0 {
                return buffer.withUnsafeBufferPointer { UnsafeBufferPointer(rebasing: $0[0..<Int(length)]) }
            }
            // U_BUFFER_OVERFLOW_ERROR: retry with the length ICU reported; any other
            // failure leaves the text as it was.
            guard status == 15, Int(length) > capacity else { return text }
            capacity = Int(length)
        }
    }

    // MARK: - Code points

    @inline(__always)
    static func scalar(in text: UnsafeBufferPointer<UInt16>, at index: Int) -> (UInt32, Int) {
        let unit = text[index]
        if unit & 0xFC00 == 0xD800, index + 1 < text.count, text[index + 1] & 0xFC00 == 0xDC00 {
            return (0x10000 + (UInt32(unit & 0x3FF) << 10) + UInt32(text[index + 1] & 0x3FF), 2)
        }
        return (UInt32(unit), 1)
    }

    @inline(__always)
    static func isWhiteSpace(_ scalar: UInt32) -> Bool {
        if scalar < 0x80 { return scalar == 0x20 || (0x09...0x0D).contains(scalar) }
        return cicu_is_white_space(Int32(scalar)) != 0
    }

    /// General categories Pd, Ps, Pe, Pc, Po, Pi, Pf (ICU `UCharCategory` 19-23, 28, 29).
    static func isPunctuation(_ scalar: UInt32) -> Bool {
        switch cicu_char_type(Int32(scalar)) {
        case 19...23, 28, 29: true
        default: false
        }
    }
}
