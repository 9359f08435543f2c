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
        #expect(words("$5 + 😀", TokenizerOptions(keepPunctuation: false)) == ["$", "⁀5", "+", "😀"])
    }

    @Test func spacingThatDiffersFromTheDefaultIsMarked() {
        #expect(words("오늘 12시에 3박4일") == ["오늘", "12", "⁀시에", "3", "⁀박", "⁀4", "⁀일"])
        #expect(words("Hi,there . (yes )") == ["Hi", ",", "⁀there", "▁.", "(", "yes", "▁)"])
        // Text that begins with a mark character always carries a mark.
        #expect(words("⁀tie and ▁bar") == ["⁀⁀tie", "and", "▁▁", "⁀bar"])
        #expect(words("a <unk>b") == ["a", "<unk>", "⁀b"])
    }

    /// `detok(tok(line))` is the line with each white-space run one space and none at its
    /// ends, in every script.
    @Test func detokenizingAWordTokenizedLineGivesItBack() {
        let lines = [
            "오늘 12시에 만나요. 3박4일 여행을 다녀왔어요!", "서울에서  부산까지 KTX로 2시간 40분.",
            "我喜欢学习自然语言处理。今天 天气很好。", "私は東京に住んでいます。", "ภาษาไทยง่ายนิดเดียว ขอบคุณ",
            "مرحبا بالعالم، كيف حالك؟", "Emoji 👩‍👩‍👧 and flags 🇰🇷🇯🇵!", "Hi,there . (yes ) \"quoted\" 'tis -- done--now",
            "  leading and trailing  ", "tab\tseparated", "⁀tie ▁bar x⁀y", "a <unk>b <unk> c",
        ]
        for line in lines {
            let expected = CorpusTests.collapsingWhiteSpace(line)
            #expect(Detokenizer(mode: .word).join(word.tokens(in: line)) == expected + "\n", "\(line)")
        }
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
