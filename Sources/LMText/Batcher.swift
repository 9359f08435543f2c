/// Feeds a token stream to truncated BPTT the way the PyTorch word-language-model example
/// does: the stream is cut into `B` parallel streams of equal length (the remainder is
/// dropped), and windows of `T` consecutive positions are served in order. Targets are
/// the inputs shifted by one position, so every token but the last of each stream is an
/// input exactly once per epoch. The final window of an epoch may be shorter than `T`.
public struct Batcher: Sendable {
    /// One window: `inputs` and `targets` are `[T, B]`, row-major (`t * B + b`).
    public struct Window: Sendable {
        public var inputs: [Int32] = []
        public var targets: [Int32] = []
        public var length = 0

        public init() {}
    }

    public let batchSize: Int
    public let windowLength: Int
    /// Tokens in each of the `B` streams.
    public let streamLength: Int
    /// `[B, streamLength]`: stream `b` is `tokens[b * streamLength ..< (b + 1) * streamLength]`.
    private let streams: [Int32]

    /// - Throws: ``CorpusTooShortError`` when a stream would hold fewer than two tokens
    ///   (there would be nothing to predict).
    public init(tokens: [Int32], batchSize: Int, windowLength: Int) throws(CorpusTooShortError) {
        precondition(batchSize > 0 && windowLength > 0, "batch size and window length must be positive")
        let streamLength = tokens.count / batchSize
        guard streamLength >= 2 else {
            throw CorpusTooShortError(tokens: tokens.count, needed: 2 * batchSize)
        }
        self.batchSize = batchSize
        self.windowLength = windowLength
        self.streamLength = streamLength
        self.streams = Array(tokens.prefix(streamLength * batchSize))
    }

    /// Windows per epoch.
    public var windowCount: Int { (streamLength - 1 + windowLength - 1) / windowLength }

    /// Input positions per epoch (`B` times the predicted positions of one stream).
    public var tokensPerEpoch: Int { (streamLength - 1) * batchSize }

    /// Fills `window` with window number `index` (0-based), reusing its storage.
    public func fill(_ window: inout Window, index: Int) {
        precondition(index >= 0 && index < windowCount, "window index out of range")
        let start = index * windowLength
        let length = min(windowLength, streamLength - 1 - start)
        let count = length * batchSize
        if window.inputs.count != count {
            window.inputs = Array(repeating: 0, count: count)
            window.targets = Array(repeating: 0, count: count)
        }
        window.length = length
        streams.withUnsafeBufferPointer { source in
            for t in 0..<length {
                for b in 0..<batchSize {
                    let position = b * streamLength + start + t
                    window.inputs[t * batchSize + b] = source[position]
                    window.targets[t * batchSize + b] = source[position + 1]
                }
            }
        }
    }
}

/// A token stream too short to give each of the `B` streams one prediction.
public struct CorpusTooShortError: Error, Equatable, CustomStringConvertible {
    public let tokens: Int
    public let needed: Int

    public var description: String {
        "text too short: \(tokens) tokens, at least \(needed) needed for this batch size (lower --batch)"
    }
}
