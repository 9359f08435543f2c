import CICU

/// Facts about the system ICU that lmtool is linked against.
package enum ICUInfo {
    /// ICU's version string, for instance "72.1".
    package static var version: String {
        var buffer = [CChar](repeating: 0, count: 32)
        cicu_version(&buffer)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
