import Foundation
import Testing

@testable import LMText

@Suite struct TokenIDsTests {
    @Test func aMappedFileReadsAsTheArrayItHolds() throws {
        let ids = (0..<5000).map { Int32($0 * 7 % 1009) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lmtool-ids-\(UUID().uuidString).bin").path
        var bytes = Data(repeating: 0xAB, count: 8)
        ids.withUnsafeBytes { bytes.append(contentsOf: $0) }
        try bytes.write(to: URL(fileURLWithPath: path))
        let mapped = try TokenIDs(mappingFile: path, offset: 8, count: ids.count)
        #expect(Array(mapped) == ids)
        #expect(Array(mapped.subrange(100..<200)) == Array(ids[100..<200]))
        mapped.releaseReadPages()
        #expect(Array(mapped) == ids, "released pages are read again")
        #expect(Array(TokenIDs(ids).subrange(4990..<5000)) == Array(ids[4990...]))
        #expect(throws: CorpusError.self) { try TokenIDs(mappingFile: path + ".missing", offset: 0, count: 1) }
    }
}
