import Foundation

/// Parsing and validation of a safetensors JSON header.
enum SafeTensorsHeader {
    enum DType: String {
        case f32 = "F32", f64 = "F64", f16 = "F16", bf16 = "BF16", i64 = "I64", i32 = "I32"

        var size: Int {
            switch self {
            case .f32, .i32: 4
            case .f64, .i64: 8
            case .f16, .bf16: 2
            }
        }

        /// Little-endian elements converted to Float.
        func decode(_ bytes: UnsafeRawBufferPointer) -> [Float] {
            let count = bytes.count / size
            return (0..<count).map { index in
                let offset = index * size
                switch self {
                case .f32: return Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                case .f64: return Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
                case .f16: return Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
                case .bf16:
                    return Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))) << 16)
                case .i64: return Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
                case .i32: return Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                }
            }
        }
    }

    struct Entry {
        var dtype: DType
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    /// The header length from the file's first 8 bytes, refused when it runs past the end
    /// of a file of `fileSize` bytes or beyond ``SafeTensors/maximumHeaderLength``.
    static func headerLength(_ bytes: Data, fileSize: Int, path: String) throws(StoreError) -> Int {
        let length = bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length <= SafeTensors.maximumHeaderLength, length <= UInt64(fileSize - 8) else {
            throw .headerTooLarge(path: path, length: length, fileSize: fileSize)
        }
        return Int(length)
    }

    /// Parses the header and checks everything before any data is read: entries, layout
    /// against the file's size, and (when given) the exact set of names and shapes.
    static func validated(
        _ header: Data, fileSize: Int, path: String, expected: [String: [Int]]?
    ) throws(StoreError) -> (tensors: [String: Entry], metadata: [String: String]) {
        let entries = try parse(header, path: path)
        try checkLayout(entries.tensors, bufferSize: fileSize - 8 - header.count, path: path)
        if let expected {
            for name in expected.keys.sorted() where entries.tensors[name] == nil { throw .missingTensor(path: path, name: name) }
            for name in entries.tensors.keys.sorted() {
                guard let shape = expected[name] else { throw .unexpectedTensor(path: path, name: name) }
                if let found = entries.tensors[name]?.shape, found != shape {
                    throw .shapeMismatch(path: path, name: name, expected: shape, found: found)
                }
            }
        }
        return entries
    }

    static func parse(_ header: Data, path: String) throws(StoreError) -> (tensors: [String: Entry], metadata: [String: String]) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: header)
        } catch {
            throw .malformedHeader(path: path, detail: "not JSON (\(header.count) bytes from byte 8)")
        }
        guard let dictionary = object as? [String: Any] else {
            throw .malformedHeader(path: path, detail: "not a JSON object")
        }
        if let duplicate = duplicateTopLevelKey(in: header) {
            throw .malformedHeader(path: path, detail: "tensor '\(duplicate)' appears twice")
        }
        var tensors: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in dictionary {
            if name == "__metadata__" {
                guard let map = value as? [String: String] else {
                    throw .malformedHeader(path: path, detail: "__metadata__ must map strings to strings")
                }
                metadata = map
                continue
            }
            guard let fields = value as? [String: Any] else { throw .badTensor(path: path, name: name, detail: "entry is not an object") }
            guard let dtypeName = fields["dtype"] as? String else { throw .badTensor(path: path, name: name, detail: "no dtype") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw .badTensor(path: path, name: name, detail: "unsupported dtype \(dtypeName)")
            }
            guard let shapeValues = fields["shape"] as? [Any], let shape = integers(shapeValues), shape.allSatisfy({ $0 >= 0 }) else {
                throw .badTensor(path: path, name: name, detail: "shape must be a list of non-negative integers")
            }
            guard let offsetValues = fields["data_offsets"] as? [Any], let offsets = integers(offsetValues), offsets.count == 2,
                offsets[0] >= 0, offsets[0] <= offsets[1]
            else {
                throw .badTensor(path: path, name: name, detail: "data_offsets must be [begin, end] with 0 <= begin <= end")
            }
            var elements = 1
            for dimension in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw .badTensor(path: path, name: name, detail: "shape \(shape) is too large") }
                elements = product
            }
            let (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.size)
            guard !overflow, bytes == offsets[1] - offsets[0] else {
                throw .badTensor(
                    path: path, name: name,
                    detail: "shape \(shape) of \(dtypeName) needs \(overflow ? "too many" : String(bytes)) bytes, data_offsets give \(offsets[1] - offsets[0])")
            }
            tensors[name] = Entry(dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
        }
        return (tensors, metadata)
    }

    /// Data must be covered exactly: sorted by offset, each tensor starts where the
    /// previous ended, and the last ends at the end of the file.
    static func checkLayout(_ tensors: [String: Entry], bufferSize: Int, path: String) throws(StoreError) {
        var position = 0
        for (name, entry) in tensors.sorted(by: { ($0.value.begin, $0.value.end, $0.key) < ($1.value.begin, $1.value.end, $1.key) }) {
            if entry.end > bufferSize {
                throw .layout(path: path, detail: "tensor '\(name)' ends at data byte \(entry.end), past the data's \(bufferSize) bytes")
            }
            if entry.begin < position {
                throw .layout(path: path, detail: "tensor '\(name)' at data bytes \(entry.begin)-\(entry.end) overlaps the previous tensor")
            }
            if entry.begin > position {
                throw .layout(path: path, detail: "hole at data bytes \(position)-\(entry.begin) before tensor '\(name)'")
            }
            position = entry.end
        }
        if position != bufferSize {
            throw .layout(path: path, detail: "\(bufferSize - position) bytes after the last tensor belong to none")
        }
    }

    /// Whole numbers only: booleans and fractions are refused.
    private static func integers(_ values: [Any]) -> [Int]? {
        var result: [Int] = []
        for value in values {
            guard let number = value as? NSNumber, String(describing: type(of: number)) == "NSNumber",
                let integer = Int(exactly: number.doubleValue), abs(integer) < 1 << 53
            else { return nil }
            result.append(integer)
        }
        return result
    }

    /// The first key that occurs twice among the top-level object's keys (JSON parsers
    /// keep only one of them silently).
    static func duplicateTopLevelKey(in json: Data) -> String? {
        var seen = Set<String>()
        var depth = 0
        var index = json.startIndex
        var expectingKey = false
        while index < json.endIndex {
            let byte = json[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                expectingKey = depth == 1 && byte == UInt8(ascii: "{")
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            case UInt8(ascii: ","):
                expectingKey = depth == 1
            case UInt8(ascii: "\""):
                var end = json.index(after: index)
                var escaped = false
                while end < json.endIndex {
                    if escaped {
                        escaped = false
                    } else if json[end] == UInt8(ascii: "\\") {
                        escaped = true
                    } else if json[end] == UInt8(ascii: "\"") {
                        break
                    }
                    end = json.index(after: end)
                }
                if expectingKey, depth == 1 {
                    let raw = json[index...min(end, json.endIndex - 1)]
                    let key = (try? JSONSerialization.jsonObject(with: raw, options: .fragmentsAllowed) as? String) ?? ""
                    if !seen.insert(key).inserted { return key }
                    expectingKey = false
                }
                index = end
            default:
                break
            }
            index = json.index(after: index)
        }
        return nil
    }
}
