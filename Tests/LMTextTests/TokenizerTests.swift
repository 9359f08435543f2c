import Testing

@testable import LMText

@Suite struct TokenizerTests {
    let word = Tokenizer(options: TokenizerOptions(mode: .word))

    func words(_ text: String, _ options: TokenizerOptions = TokenizerOptions()) -> [String] {
        Array(Tokenizer(options: options).tokens(in: text).dropLast())
    }

    @Test func englishKeepsPunctuationAndContractions() {
        #expect(words("Hello, world! Don't stop.") == ["Hello", ",", "world", "!", "Don't", "stop", "."])
    }

    @Test func eachLineEndsWithEndOfLine() {
        #expect(word.tokens(in: "a b\nc\n") == ["a", "b", "<eos>", "c", "<eos>"])
        #expect(word.tokens(in: "a\r\nb\rc") == ["a", "<eos>", "b", "<eos>", "c", "<eos>"])
        #expect(word.tokens(in: "\n") == ["<eos>"])
    }

    @Test func koreanEojeolStayWhole() {
        #expect(words("안녕하세요. 오늘 날씨가 좋네요!") == ["안녕하세요", ".", "오늘", "날씨가", "좋네요", "!"])
    }

    @Test func chineseAndJapaneseUseDictionarySegmentation() {
        let chinese = words("我喜欢学习自然语言处理。")
        #expect(chinese.count > 3 && chinese.joined() == "我喜欢学习自然语言处理。")
        #expect(chinese.last == "。")
        let japanese = words("私は東京に住んでいます。")
        #expect(japanese.count > 3 && japanese.joined() == "私は東京に住んでいます。")
        #expect(japanese.contains("東京"))
    }

    @Test func thaiIsSegmentedIntoWords() {
        let thai = words("ภาษาไทยง่ายนิดเดียว")
        #expect(thai.count >= 3 && thai.joined() == "ภาษาไทยง่ายนิดเดียว")
    }

    @Test func emojiSequencesAreSingleTokens() {
        // Family (ZWJ sequence), flag (regional indicator pair), thumbs up with skin tone.
        #expect(words("hi 👨‍👩‍👧 🇰🇷 👍🏽") == ["hi", "👨‍👩‍👧", "🇰🇷", "👍🏽"])
    }

    @Test func combiningMarksAreNormalisedToNFC() {
        let decomposed = "cafe\u{301} nai\u{308}ve"
        #expect(words(decomposed) == ["caf\u{E9}", "na\u{EF}ve"])
        #expect(words(decomposed).first?.unicodeScalars.count == 4)
    }

    @Test func rightToLeftScriptsSplitOnWords() {
        #expect(words("مرحبا بالعالم") == ["مرحبا", "بالعالم"])
        #expect(words("שלום עולם!") == ["שלום", "עולם", "!"])
    }

    @Test func literalUnknownIsOneToken() {
        #expect(words("the <unk> cat<unk>") == ["the", "<unk>", "cat", "<unk>"])
        #expect(words("a <unk> b", TokenizerOptions(mode: .whitespace)) == ["a", "<unk>", "b"])
        #expect(words("x<unk>y", TokenizerOptions(mode: .character)) == ["x", "<unk>", "y"])
    }

    @Test func lowercaseFoldsCase() {
        #expect(words("The STRASSE Straße", TokenizerOptions(lowercase: true)) == ["the", "strasse", "strasse"])
    }

    @Test func punctuationCanBeDropped() {
        #expect(words("Yes, no; maybe!", TokenizerOptions(keepPunctuation: false)) == ["Yes", "no", "maybe"])
        // Symbols and emoji are not punctuation.
        #expect(words("$5 + 😀", TokenizerOptions(keepPunctuation: false)) == ["$", "5", "+", "😀"])
    }

    @Test func overlongTokensBecomeUnknown() {
        #expect(words("short extraordinarily", TokenizerOptions(maxTokenLength: 8)) == ["short", "<unk>"])
    }

    @Test func characterModeGivesGraphemeClusters() {
        let options = TokenizerOptions(mode: .character)
        #expect(words("a é👨‍👩‍👧한", options) == ["a", " ", "é", "👨‍👩‍👧", "한"])
        #expect(words("e\u{301}", options) == ["\u{E9}"])
    }

    @Test func whitespaceModeSplitsOnWhiteSpaceOnly() {
        #expect(words(" = Valkyria @-@ Chronicles = ", TokenizerOptions(mode: .whitespace)) == ["=", "Valkyria", "@-@", "Chronicles", "="])
        #expect(words("a\u{3000}b\tc", TokenizerOptions(mode: .whitespace)) == ["a", "b", "c"])
    }
}
