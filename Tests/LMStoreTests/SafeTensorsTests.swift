import Foundation
import Testing

@testable import LMStore

/// The safetensors reader against good files and every kind of damage: each bad file
/// gets a typed error naming the file and the place, never a crash or a huge allocation.
@Suite struct SafeTensorsTests {
    static let sample = SafeTensors(
        tensors: [
            "a.weight": .init(shape: [2, 3], values: [1, -2, 3.5, 0, .pi, -0.25]),
            "b": .init(shape: [4], values: [9, 8, 7, 6]),
            "empty": .init(shape: [0, 5], values: []),
        ],
        metadata: ["format": "pt"])

    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("lmtool-st-\(UUID().uuidString).safetensors").path
    }

    /// A file whose header is `json` followed by `dataBytes` zero bytes.
    static func file(header json: String, dataBytes: Int) -> Data {
        var data = Data()
        withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(Data(json.utf8))
        data.append(Data(count: dataBytes))
        return data
    }

    func read(_ data: Data, expected: [String: [Int]]? = nil) throws(StoreError) -> SafeTensors {
        try SafeTensors(data: data, path: "m.safetensors", expected: expected)
    }

    @Test func roundTripsBitExactlyAndDeterministically() throws {
        let path = Self.temporaryPath()
        try AtomicFile.write(Self.sample.serialized(), to: path)
        #expect(try SafeTensors(contentsOf: path) == Self.sample)
        #expect(Self.sample.serialized() == Self.sample.serialized())
        let headerLength = Self.sample.serialized().prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(headerLength % 8 == 0)
    }

    @Test func readsFilesWrittenByThePythonPackage() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ParityTests/Fixtures/gru.safetensors").path
        let file = try SafeTensors(contentsOf: fixture)
        #expect(file.tensors["rnn.weight_hh_l1"]?.shape == [21, 7])
        #expect(file.metadata["cell"] == "gru")
    }

    @Test func expectedShapesAreEnforced() throws {
        let data = Self.sample.serialized()
        let shapes = ["a.weight": [2, 3], "b": [4], "empty": [0, 5]]
        #expect(try read(data, expected: shapes) == Self.sample)
        #expect(throws: StoreError.missingTensor(path: "m.safetensors", name: "c")) {
            try read(data, expected: shapes.merging(["c": [1]]) { $1 })
        }
        #expect(throws: StoreError.unexpectedTensor(path: "m.safetensors", name: "empty")) {
            try read(data, expected: ["a.weight": [2, 3], "b": [4]])
        }
        #expect(throws: StoreError.shapeMismatch(path: "m.safetensors", name: "a.weight", expected: [3, 2], found: [2, 3])) {
            try read(data, expected: ["a.weight": [3, 2], "b": [4], "empty": [0, 5]])
        }
    }

    @Test func truncatedFiles() {
        #expect(throws: StoreError.truncated(path: "m.safetensors", detail: "5 bytes, shorter than the 8-byte header length")) {
            try read(Data([1, 2, 3, 4, 5]))
        }
        let data = Self.sample.serialized()
        #expect(throws: StoreError.self) { try read(data.prefix(data.count - 4)) }
    }

    @Test func headerLengthPastTheEndOfTheFile() {
        var data = Self.sample.serialized()
        data.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Data($0) })
        #expect(throws: StoreError.headerTooLarge(path: "m.safetensors", length: 1 << 40, fileSize: data.count)) {
            try read(data)
        }
    }

    @Test func headerThatIsNotJSON() {
        #expect(throws: StoreError.malformedHeader(path: "m.safetensors", detail: "not JSON (8 bytes from byte 8)")) {
            try read(Self.file(header: "{\"a\": [1", dataBytes: 0))
        }
        #expect(throws: StoreError.malformedHeader(path: "m.safetensors", detail: "not a JSON object")) {
            try read(Self.file(header: "[1, 2]  ", dataBytes: 0))
        }
    }

    @Test func duplicateTensorNames() {
        let header = #"{"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#
        #expect(throws: StoreError.malformedHeader(path: "m.safetensors", detail: "tensor 'x' appears twice")) {
            try read(Self.file(header: header, dataBytes: 8))
        }
    }

    @Test func dtypesAndShapesThatDisagreeWithTheData() {
        #expect(throws: StoreError.badTensor(path: "m.safetensors", name: "x", detail: "unsupported dtype Q4")) {
            try read(Self.file(header: #"{"x": {"dtype": "Q4", "shape": [2], "data_offsets": [0, 1]}}"#, dataBytes: 1))
        }
        #expect(throws: StoreError.badTensor(path: "m.safetensors", name: "x", detail: "shape [3] of F32 needs 12 bytes, data_offsets give 8")) {
            try read(Self.file(header: #"{"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, dataBytes: 8))
        }
        #expect(throws: StoreError.self) {
            try read(Self.file(header: #"{"x": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}}"#, dataBytes: 8))
        }
        #expect(throws: StoreError.badTensor(path: "m.safetensors", name: "x", detail: "shape must be a list of non-negative integers")) {
            try read(Self.file(header: #"{"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#, dataBytes: 4))
        }
    }

    @Test func offsetsOutOfRangeOverlappingOrWithHoles() {
        let outOfRange = #"{"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#
        #expect(throws: StoreError.layout(path: "m.safetensors", detail: "tensor 'x' ends at data byte 16, past the data's 8 bytes")) {
            try read(Self.file(header: outOfRange, dataBytes: 8))
        }
        let overlapping = #"{"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "y": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#
        #expect(throws: StoreError.layout(path: "m.safetensors", detail: "tensor 'y' at data bytes 4-12 overlaps the previous tensor")) {
            try read(Self.file(header: overlapping, dataBytes: 12))
        }
        let hole = #"{"x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#
        #expect(throws: StoreError.layout(path: "m.safetensors", detail: "hole at data bytes 0-4 before tensor 'x'")) {
            try read(Self.file(header: hole, dataBytes: 8))
        }
        let trailing = #"{"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#
        #expect(throws: StoreError.layout(path: "m.safetensors", detail: "4 bytes after the last tensor belong to none")) {
            try read(Self.file(header: trailing, dataBytes: 8))
        }
    }

    @Test func convertsOtherFloatTypes() throws {
        var data = Self.file(header: #"{"h": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}, "d": {"dtype": "F64", "shape": [1], "data_offsets": [4, 12]}}"#, dataBytes: 0)
        data.append(contentsOf: [0x00, 0x3C, 0x00, 0xC0])  // 1.0, -2.0 in half precision
        withUnsafeBytes(of: (0.5 as Double).bitPattern.littleEndian) { data.append(contentsOf: $0) }
        let file = try read(data)
        #expect(file.tensors["h"]?.values == [1, -2])
        #expect(file.tensors["d"]?.values == [0.5])
    }

    /// The streaming reader gives what the whole-file reader gives, for F32 (read in
    /// place) and converted types, and reports a file cut short inside the data.
    @Test func streamingReaderMatchesTheWholeFileReader() throws {
        var data = Self.file(header: #"{"h": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}, "f": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, dataBytes: 0)
        data.append(contentsOf: [0x00, 0x3C, 0x00, 0xC0])  // 1.0, -2.0 in half precision
        for value: Float in [0.25, -7] { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        let path = Self.temporaryPath()
        try data.write(to: URL(fileURLWithPath: path))
        let whole = try SafeTensors(contentsOf: path)
        let reader = try SafeTensorsReader(path: path, expected: ["h": [2], "f": [2]])
        #expect(reader.names == ["f", "h"])
        for name in reader.names {
            var values = [Float](repeating: .nan, count: 2)
            try values.withUnsafeMutableBufferPointer { (buffer: inout UnsafeMutableBufferPointer<Float>) throws(StoreError) in
                try reader.read(name, into: buffer)
            }
            #expect(values == whole.tensors[name]?.values)
        }
        // Cut inside the data after the header was read: the read reports it.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(data.count - 2))
        try handle.close()
        var values = [Float](repeating: 0, count: 2)
        #expect(throws: StoreError.self) {
            try values.withUnsafeMutableBufferPointer { (buffer: inout UnsafeMutableBufferPointer<Float>) throws(StoreError) in
                try reader.read("f", into: buffer)
            }
        }
    }

    @Test func missingFile() {
        #expect(throws: StoreError.missingFile(path: "/nonexistent/model.safetensors")) {
            try SafeTensors(contentsOf: "/nonexistent/model.safetensors")
        }
    }
}
