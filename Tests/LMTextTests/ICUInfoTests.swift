import Testing

@testable import LMText

@Suite struct ICUInfoTests {
    @Test func reportsTheLinkedICUVersion() {
        let major = ICUInfo.version.split(separator: ".").first.flatMap { Int($0) }
        #expect((major ?? 0) >= 60)
    }
}
