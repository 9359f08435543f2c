import Foundation
import LMStore
import LMText
import Testing

@testable import LMFuzzTargets

/// The fuzzers' committed seeds (and any crash reproducer added to them) run through their
/// targets in every test run, and the scratch model the targets start from is valid, so
/// the fuzzers explore past the first check.
@Suite struct SeedReplayTests {
    static let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Seeds")

    @Test(arguments: FuzzTarget.allCases)
    func everySeedRunsThroughItsTarget(target: FuzzTarget) throws {
        let directory = try FuzzDirectory()
        let folder = Self.seeds.appendingPathComponent(target.rawValue)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(files.contains("valid"))
        for file in files {
            target.run(try Data(contentsOf: folder.appendingPathComponent(file)), in: directory)
        }
    }

    @Test func theValidSeedsMakeALoadableModel() throws {
        let directory = try FuzzDirectory()
        for target in [FuzzTarget.model, .config, .vocabulary] {
            target.run(try Data(contentsOf: Self.seeds.appendingPathComponent("\(target.rawValue)/valid")), in: directory)
            let loaded = try directory.model.load()
            #expect(loaded.vocabulary.count == 5)
        }
        FuzzTarget.model.run(Data("not safetensors".utf8), in: directory)
        #expect(throws: StoreError.self) { try directory.model.load() }
    }
}
