import Foundation

/// `metrics.jsonl`: one JSON object per line, appended and flushed as training goes, so
/// a run can be followed (`tail -f`) and explained afterwards.
package final class MetricsLog {
    package let path: String
    private let handle: FileHandle

    /// Opens the log for appending, creating it when absent.
    package init(path: String) throws(StoreError) {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw .writeFailed(path: path, reason: "cannot create the file")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw .writeFailed(path: path, reason: "cannot open for writing") }
        self.handle = handle
        handle.seekToEndOfFile()
    }

    deinit { try? handle.close() }

    /// Appends one record; values must be JSON-representable (numbers, strings, bools).
    package func append(_ record: [String: Any]) throws(StoreError) {
        let sanitized = record.mapValues { value -> Any in
            if let number = value as? Double, !number.isFinite { return String(number) }
            if let number = value as? Float, !number.isFinite { return String(number) }
            return value
        }
        guard let data = try? JSONSerialization.data(withJSONObject: sanitized, options: [.sortedKeys]) else {
            throw .writeFailed(path: path, reason: "record is not JSON-representable")
        }
        do {
            try handle.write(contentsOf: data + Data("\n".utf8))
            try handle.synchronize()
        } catch {
            throw .writeFailed(path: path, reason: (error as NSError).localizedDescription)
        }
    }

    /// Every record of the log at `path`, in order (unparseable lines skipped: a kill can
    /// leave the last line incomplete).
    package static func records(at path: String) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }
}
