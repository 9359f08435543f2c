import CICU

/// Text as a model reads it: case-folded when asked (ICU full case folding), then NFC
/// (skipped when ICU's quick check says a line is NFC already); white-space mode takes
/// text as it comes. Keeps its buffers between lines: use one per thread.
package final class TextNormalizer {
    private let lowercase: Bool
    private let composes: Bool
    private var folded: [UInt16] = []
    private var normalized: [UInt16] = []

    package init(options: TokenizerOptions) {
        lowercase = options.lowercase
        composes = options.mode != .whitespace
    }

    /// `line` normalised; the result lives until the next call.
    package func normalize(_ line: UnsafeBufferPointer<UInt16>) -> UnsafeBufferPointer<UInt16> {
        var text = line
        if lowercase { text = transform(text, into: &folded, with: cicu_fold_case) }
        if composes && !isNFC(text) { text = transform(text, into: &normalized, with: cicu_normalize_nfc) }
        return text
    }

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
}
