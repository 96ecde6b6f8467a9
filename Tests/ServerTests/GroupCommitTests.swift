import Foundation
import Testing

@testable import Server

/// Ingest commits that arrive together share one SQLite transaction, each in its own savepoint.
@Suite("SQLite group commit")
struct GroupCommitTests {
    struct Refused: Error {}

    @Test func concurrentWritesCommitTogetherAndAFailingOneUndoesOnlyItsOwn() async throws {
        let (backend, _, cleanUp) = try scratchSQLiteBackend("group")
        defer { cleanUp() }
        try await backend.write { try $0.execute("CREATE TABLE probe (n INTEGER PRIMARY KEY)") }
        let answers = await withTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
            for n in 0..<200 {
                group.addTask {
                    let result = await Result {
                        try await backend.groupWrite { tx in
                            try tx.execute("INSERT INTO probe VALUES (?)", [.integer(Int64(n))])
                            if n % 50 == 7 { throw Refused() }
                            return n * 2
                        }
                    }
                    return (n, result)
                }
            }
            var answers: [Int: Result<Int, any Error>] = [:]
            for await (n, result) in group { answers[n] = result }
            return answers
        }
        for (n, answer) in answers {
            if n % 50 == 7 {
                #expect(throws: (any Error).self) { try answer.get() }
            } else {
                #expect(try answer.get() == n * 2)
            }
        }
        let stored = try await backend.read { tx in try tx.query("SELECT n FROM probe ORDER BY n").map { $0.int("n") } }
        #expect(stored == (0..<200).filter { $0 % 50 != 7 })
    }

    /// A group's savepoints journal in memory (no temporary file per transaction); any other
    /// write, whose statements may touch every page of a large table, and the readers keep
    /// SQLite's default, which spills to a file.
    @Test func onlyGroupCommitsJournalTheirSavepointsInMemory() async throws {
        let (backend, _, cleanUp) = try scratchSQLiteBackend("group")
        defer { cleanUp() }
        let (memory, fileBeyondASize) = (2, 0)
        let setting: @Sendable (any SQLTransaction) throws -> Int? = {
            try $0.query("PRAGMA temp_store").first?.int("temp_store")
        }
        #expect(try await backend.groupWrite(setting) == memory)
        #expect(try await backend.write(setting) == fileBeyondASize)
        #expect(try await backend.groupWrite(setting) == memory)
        #expect(try await backend.read(setting) == fileBeyondASize)
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
