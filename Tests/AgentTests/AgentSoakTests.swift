import EdgeSyncModels
import Foundation
import GRDB
import TestSupport
import Testing

@testable import Agent
@testable import Server

/// A minute of device life at once: an application writes to three tables, adds and drops a
/// column, renames a table, drops and recreates another, while the `edge-agent` process is
/// killed at random and restarted and the server goes away and comes back. At the end every
/// mirror equals its source table (deletes included), the series holds every sample once, and
/// the application never saw an error.
@Suite("Agent soak", .serialized)
struct AgentSoakTests {
    static let orderColumns = ["id", "qty"]

    @Test func aMinuteOfDeviceLifeLosesNothing() async throws {
        try await Turns.heavyProcesses.run { try await Self.soak(seconds: 60) }
    }

    static func soak(seconds: Int) async throws {
        let harness = try await AgentHarness()
        try await harness.app.write { try $0.execute(sql: "CREATE TABLE orders (id INTEGER PRIMARY KEY, qty INTEGER)") }
        let config = try harness.processConfiguration()
        // Capture first: without `snapshot_on_first_run`, a row written before the triggers exist
        // is never sent, and one the writer did not touch again was missing from the mirror.
        var agent = try await harness.startProcess(config)
        let errors = Errors()
        let start = ContinuousClock.now
        let writer = Task {
            var random = SplitMix(state: 0x50A4)
            var next = 1
            var step = 0
            var ordersTable = "orders"
            while ContinuousClock.now - start < .seconds(seconds) {
                step += 1
                let elapsed = Int((ContinuousClock.now - start).components.seconds)
                do {
                    let (orders, order, change, id, current) = (
                        ordersTable, Int.random(in: 1...200, using: &random), Int.random(in: 0..<4, using: &random),
                        next,
                        step
                    )
                    next += 1
                    try await harness.app.write { db in
                        try Self.changeRows(db, change: change, newID: id)
                        try db.execute(
                            sql:
                                "INSERT INTO \(orders) (id, qty) VALUES (?, ?) ON CONFLICT DO UPDATE SET qty = qty + 1",
                            arguments: [order, current]
                        )
                        try db.execute(
                            sql: "INSERT INTO sensor_timeseries VALUES (?, ?, 'C')",
                            arguments: [
                                Timestamp(seconds: 1_790_000_000 + Int64(current)).description, Double(current),
                            ]
                        )
                    }
                    // The application's own migrations, at fixed moments.
                    if step == 300 {
                        try await harness.app.write {
                            try $0.execute(sql: "ALTER TABLE device_state ADD COLUMN note TEXT")
                        }
                    } else if step == 600 {
                        try await harness.app.write { try $0.execute(sql: "ALTER TABLE orders RENAME TO orders_v2") }
                        ordersTable = "orders_v2"
                    } else if step == 900 {
                        try await harness.app.write { try $0.execute(sql: "ALTER TABLE device_state DROP COLUMN note") }
                    } else if step == 1_200 {
                        try await harness.app.write { db in
                            try db.execute(sql: "DROP TABLE orders_v2")
                            try db.execute(sql: "CREATE TABLE orders_v2 (id INTEGER PRIMARY KEY, qty INTEGER)")
                        }
                    }
                } catch {
                    await errors.add("step \(step) at \(elapsed)s: \(error)")
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let approver = Task {
            while !Task.isCancelled {
                try? await harness.approveOpenReviews()
                try? await Task.sleep(for: .milliseconds(300))
            }
        }
        var random = SplitMix(state: 0xC0FFEE)
        var serverAway = false
        while ContinuousClock.now - start < .seconds(seconds) {
            try await Task.sleep(for: .milliseconds(Int64.random(in: 1_500...5_000, using: &random)))
            await agent.kill9()
            let elapsed = ContinuousClock.now - start
            if !serverAway, elapsed > .seconds(seconds / 3) {
                await harness.stopServer()
                serverAway = true
            } else if serverAway, elapsed > .seconds(seconds / 2), !harness.serverRunning {
                try await harness.restartServer()
            }
            agent = try ProcessRunner.start(AgentKillTests.binary, ["run", "--config", config])
        }
        _ = await writer.value
        if !harness.serverRunning { try await harness.restartServer() }
        let seen = await errors.list
        #expect(seen.isEmpty, "the application saw: \(seen.prefix(5))")
        let converged = try await harness.waitForConvergence(timeout: .seconds(120))
        #expect(converged)
        #expect(try await harness.waitForConvergence("orders_v2", columns: Self.orderColumns, timeout: .seconds(60)))
        if !converged {
            let status = try await ProcessRunner.run(AgentKillTests.binary, ["status", "--config", config])
            print("agent status: \(status.stdout)\(status.stderr)")
            print("agent log (end): \(agent.output().stderr.suffix(4_000))")
        }
        let samples =
            try await harness.app.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sensor_timeseries") } ?? 0
        let series = try await harness.waitFor { () -> Int? in
            guard let lineage = try await harness.lineage("sensor_timeseries") else { return nil }
            let total = try await harness.store.mirrorRows(
                lineageID: lineage.id,
                page: PageRequest(limit: 1),
                order: nil,
                query: nil
            ).total
            return total == samples ? total : nil
        }
        #expect(series == samples, "every sample once in the series")
        approver.cancel()
        await agent.stop()
        await harness.stop()
    }

    /// An insert of `newID`, then an update, a delete or a key change of another row.
    static func changeRows(_ db: Database, change: Int, newID: Int) throws {
        let ids = try Int.fetchAll(db, sql: "SELECT id FROM device_state ORDER BY random() LIMIT 1")
        try db.execute(
            sql: "INSERT INTO device_state (id, mode, level, raw) VALUES (?, 'w', ?, x'01')",
            arguments: [newID, Double(newID) / 7]
        )
        guard let other = ids.first else { return }
        switch change {
        case 0:
            try db.execute(
                sql: "UPDATE device_state SET mode = mode || 'u', level = level + 0.5 WHERE id = ?",
                arguments: [other]
            )
        case 1:
            try db.execute(sql: "DELETE FROM device_state WHERE id = ?", arguments: [other])
        case 2:
            try db.execute(sql: "UPDATE device_state SET id = ? WHERE id = ?", arguments: [newID + 1_000_000, other])
        default:
            break
        }
    }

    actor Errors {
        var list: [String] = []
        func add(_ error: String) { list.append(error) }
    }
}

extension AgentHarness {
    /// Approves every open review with every column mirrored, as an operator keeping up would.
    func approveOpenReviews() async throws {
        let reviews = try await store.reviews(
            projectID: projectID,
            filter: ReviewFilter(),
            page: PageRequest(limit: 100)
        )
        .items.filter { $0.status == .queued || $0.status == .inReview }
        for review in reviews {
            guard let detail = try await store.reviewDetail(id: review.id, projectID: projectID),
                let columns = detail.columns
            else { continue }
            _ = try await store.transitionReview(
                id: review.id,
                projectID: projectID,
                registry: false,
                principal: Principal(tokenID: "t", name: "soak", scopes: [.admin]),
                .approve(
                    ApproveReviewRequest(
                        actionVersion: detail.review.actionVersion,
                        columnActions: columns.map { ColumnAction(sourceColumnName: $0.name, action: .mirror) },
                        force: true
                    )
                ),
                now: .now
            )
        }
    }
}
