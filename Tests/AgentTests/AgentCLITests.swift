import EdgeSyncModels
import Foundation
import GRDB
import TestSupport
import Testing

@testable import Agent

/// The `edge-agent` binary: `check` with `--db` alone, `status`, bad configuration → exit 2.
@Suite("edge-agent CLI", .serialized)
struct AgentCLITests {
    @Test func checkStatusAndBadConfiguration() async throws {
        let (_, path) = try CaptureTests.database()
        let check = try await ProcessRunner.run(AgentKillTests.binary, ["check", "--db", path, "--output", "json"])
        #expect(check.status == 1, "a table with a problem fails the check: \(check.stderr)")
        let document = try JSONParser().parse(Array(check.stdout.utf8))
        #expect(document.objectValue?["problems"]?.arrayValue == [])
        let tables = try #require(document.objectValue?["tables"]?.arrayValue)
        #expect(
            tables.compactMap { $0.objectValue?["name"]?.stringValue } == ["device_state", "log_lines", "odd \"name\""]
        )
        #expect(
            tables.allSatisfy {
                Set($0.objectValue?.keys ?? []) == ["name", "strategy", "schema_hash", "schema_columns", "problems"]
            }
        )
        #expect(tables[1].objectValue?["problems"]?.arrayValue?.count == 1)

        let config = URL(fileURLWithPath: path + ".yaml")
        try "sqlite-replication: {flush_intervall: 5s}".write(to: config, atomically: true, encoding: .utf8)
        let bad = try await ProcessRunner.run(AgentKillTests.binary, ["check", "--config", config.path])
        #expect(
            bad.status == 2 && bad.stderr.contains("sqlite-replication.flush_intervall: unknown key"),
            "\(bad.stderr)"
        )
        let missing = try await ProcessRunner.run(AgentKillTests.binary, ["run", "--config", "/nonexistent.yaml"])
        #expect(missing.status == 2 && missing.stderr.contains("--config"))

        // A misspelled table, a bad server URL and device id, a certificate without its key: each
        // named, and the check fails.
        try """
        connection:
          server_url: "http://broker"
          device_id: "pump 7"
          mqtt: {tls: {client_cert_path: /etc/device.pem}}
        sqlite-replication:
          source_db_path: \(path)
          table_strategies: {device_stat: {strategy: ignore}}
        """.write(to: config, atomically: true, encoding: .utf8)
        let strict = try await ProcessRunner.run(AgentKillTests.binary, ["check", "--config", config.path])
        #expect(strict.status == 1, "\(strict.stderr)")
        for expected in [
            "connection.server_url: http://broker", "connection.device_id: pump 7",
            "client_key_path: the client certificate /etc/device.pem needs its key",
            "table_strategies.device_stat: the database has no table device_stat",
        ] {
            #expect(strict.stdout.contains(expected), "\(expected) in \(strict.stdout)")
        }

        try "sqlite-replication: {source_db_path: \(path)}".write(to: config, atomically: true, encoding: .utf8)
        let status = try await ProcessRunner.run(
            AgentKillTests.binary,
            ["status", "--config", config.path, "--output", "json"]
        )
        #expect(status.status == 0, "\(status.stderr)")
        let report = try JSONParser().parse(Array(status.stdout.utf8)).objectValue
        let rows = report?["tables"]?.arrayValue ?? []
        #expect(rows.first?.objectValue?["pending_rows"] == .integer(0) && rows.count == 3)
        // Never run: no connection yet; the room left on the database's filesystem.
        #expect(report?["connection"] == .string("never run") && report?["pending_rows"] == .integer(0))
        if case .integer(let free)? = report?["disk_free_bytes"] {
            #expect(free > 0)
        } else {
            Issue.record("no disk_free_bytes in \(status.stdout)")
        }
    }
}

@Suite("Batch building")
struct BatchBuilderTests {
    static func entry(_ seq: Int, op: String = "insert", pk: String, row: String?) -> RowEntry {
        RowEntry(seq: Int64(seq), op: op, pk: Array(pk.utf8), row: row.map { Array($0.utf8) })
    }

    static func build(
        _ entries: [RowEntry],
        columns: Bool,
        lkcv: [String: Int64] = [:],
        marker: Int64? = nil
    ) -> BuiltBatch? {
        BatchBuilder.rowBatch(
            table: "t",
            epoch: UUIDv7Generator.shared.next().description,
            fingerprint: fingerprint,
            includeColumns: columns,
            entries: entries,
            consumedThrough: entries.last?.seq ?? 0,
            snapshotThrough: marker,
            lkcv: lkcv
        )
    }

    static let fingerprint = SchemaFingerprint(
        tableName: "t",
        columns: [SchemaColumn(name: "id", declTypeAffinity: .integer, pkOrdinal: 1, notNull: true)]
    )

    @Test func batchesStayWithinTheProtocolLimits() throws {
        let small = (1...5_000).map { Self.entry($0, pk: #"{"id":\#($0)}"#, row: #"{"id":\#($0)}"#) }
        let first = try #require(Self.build(small, columns: true, lkcv: [#"{"id":2}"#: 7]))
        #expect(first.count == 4_096 && first.coveredThrough == 4_096)
        guard case .success(.rowBatch(let batch)) = PayloadValidator().validate(first.body, topic: .rowBatch) else {
            Issue.record("the batch does not validate")
            return
        }
        #expect(
            batch.rows.count == 4_096 && batch.schemaColumns == Self.fingerprint && batch.rows[1].lkcv == 7
                && batch.rows[0].lkcv == nil && batch.snapshotThrough == nil
        )
        let wide = (1...40).map {
            Self.entry(
                $0,
                op: "update",
                pk: #"{"id":\#($0)}"#,
                row: #"{"id":\#($0),"note":"\#(String(repeating: "x", count: 20_000))"}"#
            )
        }
        let split = try #require(Self.build(wide, columns: false))
        #expect(split.count == 26 && split.body.count <= WireLimits.maximumPayloadBytes && split.coveredThrough == 26)
        let huge = [Self.entry(1, pk: #"{"id":1}"#, row: #"{"note":"\#(String(repeating: "y", count: 600_000))"}"#)]
        #expect(Self.build(huge, columns: false) == nil)
    }

    /// The snapshot's end goes out with the batch that covers it, and not before.
    @Test func theSnapshotEndRidesOnTheBatchThatReachesIt() throws {
        let entries = (1...10).map { Self.entry($0, pk: #"{"id":\#($0)}"#, row: #"{"id":\#($0)}"#) }
        let reaching = try #require(Self.build(entries, columns: false, marker: 10))
        guard case .success(.rowBatch(let batch)) = PayloadValidator().validate(reaching.body, topic: .rowBatch) else {
            Issue.record("the batch does not validate")
            return
        }
        #expect(batch.snapshotThrough == 10)
        let before = try #require(Self.build(Array(entries.prefix(5)), columns: false, marker: 10))
        #expect(!String(decoding: before.body, as: UTF8.self).contains("snapshot_through_commit_seq"))
    }
}
