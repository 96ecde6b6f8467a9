import Crypto
import EdgeSyncModels
import Foundation
import GRDB
import TestSupport
import Testing

@testable import Server

/// The production topology under failure (`make cluster-test`, part of `make test`): 3 replicas
/// behind HAProxy on one PostgreSQL cluster (fsync on), 10 real `edge-agent` processes writing
/// ≈100,000 row changes, reviews approved through a replica other than the device's, one replica
/// killed with SIGKILL at ≈40 % of the writes and PostgreSQL crashed (`pg_ctl restart -m
/// immediate`) at ≈70 %, then the replica restarted. Once the backlog drains, every mirror equals
/// its source table (count and an MD5 over the rows in key order), no series row is there twice,
/// every control is acknowledged and nothing was rejected.
@Suite(
    "Cluster: replicas behind HAProxy on one PostgreSQL",
    .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["EDGESYNC_CLUSTER_TEST"] == "1", "make cluster-test")
)
struct ClusterTests {
    static let devices = 10
    /// Row changes per device (inserts, updates, deletes and readings): ≈100,000 in all.
    static let changesPerDevice = 10_000
    static let changesPerTransaction = 20
    /// The application's pace: its writes span about a minute, so that the failures land while
    /// rows flow.
    static let pause = Duration.milliseconds(110)

    @Test func nothingIsLostThroughAKilledReplicaAndADatabaseCrash() async throws {
        let started = ContinuousClock.now
        let cluster = try await ClusterHarness(replicas: 3, devices: Self.devices)
        let project = try await cluster.api(0).get("/projects", as: PageEnvelope<Project>.self).data[0].id
        // A review is approved only once backpressure has paused its lineage: the resumes, decided
        // by the sweeping replica, reach devices wherever they are connected. 600 staged rows are
        // reached within the first third of the writes (readings, the smaller table, are 20 %).
        let (status, _) = try await cluster.api(0).request(
            "PATCH",
            "/projects/\(project)/edge/policy",
            body: #"{"max_pending_rows_per_lineage":600}"#
        )
        #expect(status == 200)
        for index in 0..<Self.devices { try cluster.startAgent(index) }
        let written = Progress()
        let writers = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<Self.devices {
                    group.addTask {
                        try await Self.write(cluster.devices[index].app, seed: UInt64(index), progress: written)
                    }
                }
                try await group.waitForAll()
            }
        }
        let approvals = Task { try await Self.approveEveryReview(cluster, project: project) }

        await written.wait(for: 0.4)
        let holders = try await cluster.read { tx in
            try tx.query("SELECT replica_id, COUNT(*) FROM device_session GROUP BY replica_id ORDER BY 2 DESC")
                .map { $0[0].text ?? "" }
        }
        let victim = cluster.replicas.firstIndex { $0.id == holders.first } ?? 0
        await cluster.killReplica(victim)
        let killedAt = await written.fraction
        await written.wait(for: 0.7)
        try await cluster.postgres.restart(mode: "immediate")
        let crashedAt = await written.fraction
        try await cluster.startReplica(victim)
        try await writers.value
        let writing = ContinuousClock.now - started
        try await approvals.value

        let drained = try await Self.waitForConvergence(cluster)
        if drained >= Self.drainLimit { try await Self.diagnose(cluster) }
        for site in cluster.devices {
            let (source, mirror) = try await Self.orders(cluster, site)
            #expect(source.count == mirror.count && Self.md5(source) == Self.md5(mirror), "\(site.name): orders")
            let (readings, series) = try await Self.readings(cluster, site)
            #expect(readings.count == series.count && Self.md5(readings) == Self.md5(series), "\(site.name): readings")
            #expect(Set(series).count == series.count, "\(site.name): a series row twice")
        }
        let (unacknowledged, controls, rejected) = try await cluster.read { tx in
            (
                try tx.value("SELECT COUNT(*) FROM pending_control WHERE acked_at IS NULL")?.integer ?? -1,
                try tx.value("SELECT COUNT(*) FROM pending_control")?.integer ?? -1,
                try tx.value("SELECT COUNT(*) FROM batch_ledger WHERE outcome = 'rejected'")?.integer ?? -1
            )
        }
        #expect(unacknowledged == 0 && controls > 0, "\(unacknowledged) of \(controls) controls unacknowledged")
        #expect(rejected == 0)
        let rows = try await cluster.read {
            try $0.value("SELECT COALESCE(SUM(row_count), 0) FROM batch_ledger")?.integer
        }
        print(
            """
            cluster-test: \(Self.devices) devices, \(Self.devices * Self.changesPerDevice) row changes written \
            (\(rows ?? 0) rows received), replica \(cluster.replicas[victim].id) killed (SIGKILL) at \
            \(Int(killedAt * 100)) %, PostgreSQL restarted (immediate) at \(Int(crashedAt * 100)) %, \
            \(controls) controls all acknowledged; writes took \(writing), the backlog drained \(drained) later, \
            \(ContinuousClock.now - started) in all
            """
        )
        await cluster.stop()
    }

    /// The application of a device: transactions of inserts, updates, deletes and readings.
    static func write(_ app: DatabasePool, seed: UInt64, progress: Progress) async throws {
        var random = SplitMix(state: 0xC1A5 ^ seed)
        var next = 1
        var done = 0
        while done < changesPerDevice {
            let count = min(changesPerTransaction, changesPerDevice - done)
            let ids = (0..<count).map { _ in Int(random.next() % UInt64(next + 1)) }
            let kinds = (0..<count).map { _ in random.next() % 20 }
            let first = next
            next = try await app.write { db in
                var id = first
                for (kind, existing) in zip(kinds, ids) {
                    switch kind {
                    case 0..<3:
                        try db.execute(
                            sql: "UPDATE orders SET qty = qty + 1, price = price * 1.5, note = ? WHERE id = ?",
                            arguments: [Data([UInt8(existing % 256), 0]), existing]
                        )
                    case 3:
                        try db.execute(sql: "DELETE FROM orders WHERE id = ?", arguments: [existing])
                    case 4..<8:
                        try db.execute(
                            sql: "INSERT INTO readings VALUES (?, ?, ?)",
                            arguments: [Timestamp.now.description, "s\(existing % 4)", Double(existing) / 3]
                        )
                    default:
                        try db.execute(
                            sql: "INSERT INTO orders VALUES (?, ?, ?, ?, NULL)",
                            arguments: [id, "item-\(id)", id % 7, Double(id) / 7]
                        )
                        id += 1
                    }
                }
                return id
            }
            done += count
            await progress.add(count, of: devices * changesPerDevice)
            try await Task.sleep(for: pause)
        }
    }

    /// Claims and approves each review as it is queued, through a replica other than the one
    /// its device is connected to; returns once every device's two tables are approved. A review
    /// claimed before its approval failed (a replica killed or the database crashed mid-request)
    /// is approved as it stands, as an operator would.
    static func approveEveryReview(_ cluster: ClusterHarness, project: String) async throws {
        var approved: Set<String> = []
        let deadline = ContinuousClock.now + .seconds(300)
        while approved.count < devices * 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
            let live = cluster.replicas.indices.filter { cluster.replicas[$0].process?.isRunning == true }
            guard let any = live.first,
                let reviews = try? await cluster.api(any).get(
                    "/projects/\(project)/edge/schema-reviews?limit=100",
                    as: PageEnvelope<SchemaReview>.self
                )
            else { continue }
            // An approval whose answer was lost on the way counts once the review says so.
            approved.formUnion(reviews.data.filter { $0.status == .approved }.map(\.id))
            for review in reviews.data where review.status.isOpen && !approved.contains(review.id) {
                let (holder, paused) = try await cluster.read { tx in
                    (
                        try tx.value(
                            "SELECT replica_id FROM device_session WHERE device_id = ?",
                            [.text(review.deviceID ?? "")]
                        )?.text,
                        try tx.value(
                            "SELECT COUNT(*) FROM pending_control WHERE lineage_id = ? AND kind = 'pause_lineage'",
                            [.text(review.lineageID ?? "")]
                        )?.integer ?? 0
                    )
                }
                guard paused > 0 else { continue }
                guard let other = live.first(where: { cluster.replicas[$0].id != holder }) else { continue }
                let api = try cluster.api(other)
                let base = "/projects/\(project)/edge/schema-reviews/\(review.id)"
                guard let detail = try? await api.get(base, as: ResourceEnvelope<SchemaReviewDetail>.self).data,
                    let columns = detail.columns
                else { continue }
                let actions = columns.map { column in
                    #"{"source_column_name":"\#(column.name)","action":"\#(column.name == "ts" ? "ignore" : "mirror")"}"#
                }
                do {
                    var version = detail.review.actionVersion
                    if detail.review.status == .queued {
                        _ = try await api.post(
                            base + "/claim",
                            body: #"{"action_version":\#(version)}"#,
                            as: ResourceEnvelope<SchemaReview>.self
                        )
                        version += 1
                    }
                    _ = try await api.post(
                        base + "/approve",
                        body:
                            #"{"action_version":\#(version),"column_actions":[\#(actions.joined(separator: ","))]}"#,
                        as: ResourceEnvelope<SchemaReview>.self
                    )
                    approved.insert(review.id)
                } catch {
                    // A replica went away mid-request: the review is tried again.
                }
            }
        }
    }

    static let drainLimit = Duration.seconds(300)

    /// Waits until every device's mirror and series equal its tables; returns how long it took.
    static func waitForConvergence(_ cluster: ClusterHarness) async throws -> Duration {
        let start = ContinuousClock.now
        let deadline = start + drainLimit
        for site in cluster.devices {
            while ContinuousClock.now < deadline {
                let (source, mirror) = try await orders(cluster, site)
                let (readings, series) = try await Self.readings(cluster, site)
                if source == mirror, readings.count == series.count { break }
                try await Task.sleep(for: .seconds(1))
            }
        }
        return ContinuousClock.now - start
    }

    /// The device's orders and their mirror, each row as canonical JSON, in key order.
    static func orders(
        _ cluster: ClusterHarness,
        _ site: ClusterHarness.DeviceSite
    ) async throws -> ([String], [String]) {
        let source = try await site.app.read { db in
            try Row.fetchAll(db, sql: "SELECT id, item, qty, price, note FROM orders ORDER BY id").map { row in
                canonical((0..<5).map { AgentHarness.jsonValue(row[$0]) })
            }
        }
        let mirror = try await rows(cluster, site, table: "orders") { quoted in
            "SELECT \(ClusterHarness.orderColumns.map(SQLIdentifier.quote).joined(separator: ", ")) FROM \(quoted) ORDER BY 1"
        }
        return (source, mirror)
    }

    /// The device's readings and its series rows (the device's rowid first), in rowid order.
    static func readings(
        _ cluster: ClusterHarness,
        _ site: ClusterHarness.DeviceSite
    ) async throws -> ([String], [String]) {
        let source = try await site.app.read { db in
            try Row.fetchAll(db, sql: "SELECT CAST(rowid AS TEXT), sensor, value FROM readings ORDER BY rowid").map {
                row in
                canonical((0..<3).map { AgentHarness.jsonValue(row[$0]) })
            }
        }
        let series = try await rows(cluster, site, table: "readings") { quoted in
            "SELECT row_id, sensor, value FROM \(quoted) WHERE device_id = ? ORDER BY CAST(row_id AS bigint)"
        }
        return (source, series)
    }

    static func rows(
        _ cluster: ClusterHarness,
        _ site: ClusterHarness.DeviceSite,
        table: String,
        _ sql: @escaping @Sendable (String) -> String
    ) async throws -> [String] {
        try await cluster.read { tx in
            guard
                let lineage = try tx.first(
                    "SELECT l.mirror_table, l.device_id FROM lineage l JOIN device d ON d.id = l.device_id WHERE d.name = ? AND l.source_table = ?",
                    [.text(site.name), .text(table)]
                ), let target = lineage[0].text, try tx.tableExists(target)
            else { return [] }
            let binds: [SQLValue] = table == "readings" ? [lineage[1]] : []
            return try tx.query(sql(SQLIdentifier.quote(target)), binds).map { row in
                canonical(row.values.map(\.jsonValue))
            }
        }
    }

    /// What a run that did not converge leaves to read: the lineages, the controls, the replays,
    /// and every replica's threads.
    static func diagnose(_ cluster: ClusterHarness) async throws {
        let state = try await cluster.read { tx in
            try [
                "SELECT device_name, source_table, status, pause_reason, device_paused, staged_row_count, mirrored_row_count, last_commit_seq, last_batch_seq FROM lineage ORDER BY 1, 2",
                "SELECT d.name, c.kind, c.sent_count, c.acked_at IS NOT NULL FROM pending_control c JOIN device d ON d.id = c.device_id ORDER BY c.created_at",
                "SELECT lineage_id, state, total_rows, replayed_rows, last_error FROM replay_intent",
                "SELECT d.name, s.replica_id FROM device_session s JOIN device d ON d.id = s.device_id ORDER BY 1",
                "SELECT status, COUNT(*) FROM schema_review GROUP BY status",
            ].map { sql throws in
                sql + "\n" + (try tx.query(sql).map { "  \($0.values.map(\.jsonValue))" }.joined(separator: "\n"))
            }
        }
        print("cluster-test state:\n" + state.joined(separator: "\n"))
        for replica in cluster.replicas {
            guard let pid = replica.process?.pid else { continue }
            let stacks = try await ProcessRunner.run(
                "gdb",
                ["-p", "\(pid)", "-batch", "-ex", "thread apply all bt 30"]
            )
            print(
                "cluster-test: threads of \(replica.id):\n"
                    + stacks.stdout.split(separator: "\n").filter { $0.hasPrefix("#") || $0.hasPrefix("Thread") }
                    .joined(separator: "\n")
            )
        }
    }

    static func canonical(_ values: [JSONValue]) -> String { CanonicalJSON.string(of: .array(values)) }

    static func md5(_ rows: [String]) -> String {
        var hash = Insecure.MD5()
        for row in rows { hash.update(data: Data((row + "\n").utf8)) }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The application's writes so far, as a fraction of all of them.
    actor Progress {
        private(set) var fraction = 0.0
        func add(_ count: Int, of total: Int) { fraction += Double(count) / Double(total) }

        func wait(for target: Double) async {
            while fraction < target { try? await Task.sleep(for: .milliseconds(50)) }
        }
    }
}
