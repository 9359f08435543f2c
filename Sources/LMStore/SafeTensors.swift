import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length `N`, `N`
/// bytes of JSON mapping each tensor name to `{"dtype", "shape", "data_offsets": [begin,
/// end]}` (plus an optional `"__metadata__"` string map), then the row-major
/// little-endian data, offsets relative to its start, without holes or overlaps.
///
/// lmtool writes F32 with tensors in name order and the header padded with spaces to a
/// multiple of 8, as the Python package does. It reads F32, F64, F16, BF16, I64 and I32
/// (converted to Float) and validates everything before touching the data: a forged
/// header can neither make it read outside the file nor allocate more than the file holds.
public struct SafeTensors: Equatable, Sendable {
    public struct Tensor: Equatable, Sendable {
        public var shape: [Int]
        public var values: [Float]

        public init(shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count, "values do not fill shape \(shape)")
            self.shape = shape
            self.values = values
        }
    }

    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Headers larger than this are refused (real ones are kilobytes).
    public static let maximumHeaderLength: UInt64 = 100 << 20

    // MARK: - Writing

    /// The file's bytes.
    public func serialized() -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            guard let tensor = tensors[name] else { continue }
            let length = tensor.values.count * 4
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + length]]
            offset += length
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        // Sorted keys give byte-identical files for identical tensors.
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for name in names {
            guard let tensor = tensors[name] else { continue }
            tensor.values.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        return data
    }

    // MARK: - Reading

    /// Reads and validates the file at `path`.
    /// - Parameter expected: when given, the exact set of tensor names and shapes the
    ///   caller needs; anything else is an error naming the tensor.
    public init(contentsOf path: String, expected: [String: [Int]]? = nil) throws(StoreError) {
        guard FileManager.default.fileExists(atPath: path) else { throw .missingFile(path: path) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        try self.init(data: data, path: path, expected: expected)
    }

    /// Parses `data` (named `path` in errors).
    public init(data: Data, path: String, expected: [String: [Int]]? = nil) throws(StoreError) {
        guard data.count >= 8 else {
            throw .truncated(path: path, detail: "\(data.count) bytes, shorter than the 8-byte header length")
        }
        let headerLength = try SafeTensorsHeader.headerLength(data.prefix(8), fileSize: data.count, path: path)
        let entries = try SafeTensorsHeader.validated(
            data.subdata(in: 8..<(8 + headerLength)), fileSize: data.count, path: path, expected: expected)
        let bufferStart = 8 + headerLength
        var tensors: [String: Tensor] = [:]
        for (name, entry) in entries.tensors {
            let start = bufferStart + entry.begin
            let values = data.withUnsafeBytes { raw in
                entry.dtype.decode(UnsafeRawBufferPointer(rebasing: raw[start..<(start + entry.end - entry.begin)]))
            }
            tensors[name] = Tensor(shape: entry.shape, values: values)
        }
        self.init(tensors: tensors, metadata: entries.metadata)
    }
}
