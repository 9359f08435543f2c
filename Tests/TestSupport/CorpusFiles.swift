import Foundation

/// Files of `../shared` (beside the checkout), which tests may read but never copy.
public enum SharedFiles {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared")

    /// The path of `relative` under `../shared`, or nil when it is absent.
    public static func path(_ relative: String) -> String? {
        let path = root.appendingPathComponent(relative).path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
}
