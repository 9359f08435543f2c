import CICU

/// An ICU break iterator (word or character boundaries) over UTF-16 text; owns the C object.
final class ICUBreaker {
    enum Kind { case word, character }

    private let breaker: OpaquePointer

    init(_ kind: Kind) {
        var status: Int32 = 0
        // ICU's root-locale rules are built in; opening them fails only without ICU data,
        // which the package dependency rules out.
        guard let breaker = cicu_breaker_open(kind == .word ? Int32(CICU_BREAK_WORD) : Int32(CICU_BREAK_CHARACTER), &status)
        else { fatalError("ICU break iterator unavailable: \(String(cString: cicu_error_name(status)))") }
        self.breaker = breaker
    }

    deinit { cicu_breaker_close(breaker) }

    /// Calls `body(start, end, ruleStatus)` for each segment of `text`.
    func forEachSegment(_ text: UnsafeBufferPointer<UInt16>, _ body: (Int, Int, Int32) -> Void) {
        guard let base = text.baseAddress, !text.isEmpty else { return }
        var status: Int32 = 0
        cicu_breaker_set_text(breaker, base, Int32(text.count), &status)
        var start = 0
        while true {
            let end = Int(cicu_breaker_next(breaker))
            if end < 0 { break }
            body(start, end, cicu_breaker_rule_status(breaker))
            start = end
        }
    }
}
