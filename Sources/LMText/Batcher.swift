import Foundation

/// Feeds a token stream to truncated BPTT the way the PyTorch word-language-model example
/// does: the stream is cut into `B` parallel streams of equal length (the remainder is
/// dropped), and windows of `T` consecutive positions are served in order. Targets are
/// the inputs shifted by one position, so every token but the last of each stream is an
/// input exactly once per epoch. The final window of an epoch may be shorter than `T`.
/// Training may draw each window's length instead (``drawWindowLengths(generator:)``).
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
    private let streams: TokenIDs
    /// The input positions of each window of the epoch, in order, covering
    /// `0 ..< streamLength − 1`.
    private var spans: [Range<Int>]

    /// - Throws: ``CorpusTooShortError`` when a stream would hold fewer than two tokens
    ///   (there would be nothing to predict).
    public init(tokens: [Int32], batchSize: Int, windowLength: Int) throws(CorpusTooShortError) {
        try self.init(tokens: TokenIDs(tokens), batchSize: batchSize, windowLength: windowLength)
    }

    /// Windows over `tokens` in place (a mapped file stays mapped, not copied).
    /// - Throws: ``CorpusTooShortError`` as the array's initialiser does.
    public init(tokens: TokenIDs, batchSize: Int, windowLength: Int) throws(CorpusTooShortError) {
        precondition(batchSize > 0 && windowLength > 0, "batch size and window length must be positive")
        let streamLength = tokens.count / batchSize
        guard streamLength >= 2 else {
            throw CorpusTooShortError(tokens: tokens.count, needed: 2 * batchSize)
        }
        self.batchSize = batchSize
        self.windowLength = windowLength
        self.streamLength = streamLength
        self.streams = tokens.subrange(0..<streamLength * batchSize)
        spans = stride(from: 0, to: streamLength - 1, by: windowLength).map { start in
            start..<min(start + windowLength, streamLength - 1)
        }
    }

    /// Windows per epoch.
    public var windowCount: Int { spans.count }

    /// Draws new window lengths for the epoch, as AWD-LSTM's variable-length BPTT does
    /// (Merity, Keskar & Socher 2017): each window's mean is `T` with probability 0.95 and
    /// `T / 2` otherwise, its length that mean plus normal noise of deviation 5, at least 5
    /// (or `T` when that is shorter), so that over epochs every position starts a window
    /// now and then. The same generator state gives the same windows.
    public mutating func drawWindowLengths(generator: inout some RandomNumberGenerator) {
        /// Uniform in [0, 1) from 53 random bits.
        func uniform() -> Double { Double(generator.next() >> 11) * 0x1p-53 }
        let shortest = min(5, windowLength)
        var drawn: [Range<Int>] = []
        var start = 0
        while start < streamLength - 1 {
            let mean = uniform() < 0.95 ? Double(windowLength) : Double(windowLength) / 2
            // Box-Muller: a standard normal from two uniforms.
            let normal = (-2 * log(1 - uniform())).squareRoot() * cos(2 * Double.pi * uniform())
            let length = max(shortest, Int(mean + 5 * normal))
            drawn.append(start..<min(start + length, streamLength - 1))
            start += length
        }
        spans = drawn
    }

    /// Window `index`'s length over `T`: AWD-LSTM scales the learning rate by it, so a
    /// token weighs the same in a long window and a short one.
    public func lengthRatio(ofWindow index: Int) -> Float { Float(spans[index].count) / Float(windowLength) }

    /// Input positions per epoch (`B` times the predicted positions of one stream).
    public var tokensPerEpoch: Int { (streamLength - 1) * batchSize }

    /// Windows between two releases of the pages of mapped ids read so far: enough to
    /// make the release's cost vanish, few enough that what an epoch has read does not
    /// stay resident (`[B, 256 · T]` ids at most).
    static let windowsBetweenReleases = 256

    /// Fills `window` with window number `index` (0-based), reusing its storage; with
    /// `substitution`, some training words read as `<unk>` (``UnknownWordSubstitution``,
    /// keyed by their position in the stream array).
    public func fill(_ window: inout Window, index: Int, substitution: UnknownWordSubstitution? = nil) {
        precondition(index >= 0 && index < windowCount, "window index out of range")
        if index % Self.windowsBetweenReleases == 0 { streams.releaseReadPages() }
        let start = spans[index].lowerBound
        let length = spans[index].count
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
                    var (input, target) = (source[position], source[position + 1])
                    if let substitution {
                        input = substitution.token(input, at: position)
                        target = substitution.token(target, at: position + 1)
                    }
                    window.inputs[t * batchSize + b] = input
                    window.targets[t * batchSize + b] = target
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
