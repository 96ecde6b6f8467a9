import EdgeSyncModels
import Foundation
import GRDB

/// The application of one simulated device: its SQLite database with `order_events` and
/// `device_state` (rows) and `sensor_timeseries` (telemetry), and a steady stream of writes:
/// orders placed, advanced and now and then deleted, state changes, a reading of three sensors
/// per tick, and once,
/// after `migrateAfter`, a schema migration that adds `order_events.discount_cents`.
struct DeviceSimulator: Sendable {
    /// Documented defaults: a write tick every 250 ms, the migration after 60 s.
    struct Configuration: Sendable {
        var tick: Duration = .milliseconds(250)
        var migrateAfter: Duration = .seconds(60)
    }

    let name: String
    let databasePath: String
    let configuration: Configuration

    static let schema = """
        CREATE TABLE IF NOT EXISTS order_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT, order_no TEXT NOT NULL, sku TEXT NOT NULL, quantity INTEGER NOT NULL,
            unit_price_cents INTEGER NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS device_state (
            name TEXT PRIMARY KEY, mode TEXT NOT NULL, setpoint REAL, updated_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS sensor_timeseries (
            ts TEXT NOT NULL, temperature_c REAL, humidity_pct REAL, vibration_mm_s REAL);
        INSERT OR IGNORE INTO device_state (name, mode, setpoint, updated_at) VALUES
            ('line-1', 'running', 21.5, '2026-01-01T00:00:00Z'), ('line-2', 'idle', 19.0, '2026-01-01T00:00:00Z'),
            ('compressor', 'auto', 6.5, '2026-01-01T00:00:00Z');
        """

    static let skus = ["VALVE-DN50", "PUMP-K12", "SEAL-KIT-3", "FILTER-M8", "GASKET-120", "SENSOR-PT100"]
    /// Base and spread of temperature_c, humidity_pct and vibration_mm_s.
    static let sensors = [(21.0, 3.0), (45.0, 10.0), (2.5, 1.5)]

    /// Creates the database and its tables (kept as they are on a second run).
    func prepare() throws -> DatabaseQueue {
        try FileManager.default.createDirectory(
            atPath: (databasePath as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        var options = Configuration.grdb
        options.label = name
        let database = try DatabaseQueue(path: databasePath, configuration: options)
        try database.write { try $0.execute(sql: Self.schema) }
        return database
    }

    /// Writes until cancelled.
    func run(_ database: DatabaseQueue) async throws {
        let started = ContinuousClock.now
        var migrated = try await database.read { try Self.hasDiscount($0) }
        while !Task.isCancelled {
            if !migrated, ContinuousClock.now - started >= configuration.migrateAfter {
                try await database.write {
                    try $0.execute(sql: "ALTER TABLE order_events ADD COLUMN discount_cents INTEGER")
                }
                migrated = true
            }
            let now = Timestamp.now.description
            let draw = (0..<6).map { _ in Double.random(in: 0..<1) }
            let readings = Self.sensors.map { base, spread in
                ((base + Double.random(in: -0.5..<0.5) * spread) * 100).rounded() / 100
            }
            try await database.write { [migrated] db in
                try db.execute(
                    sql:
                        "INSERT INTO sensor_timeseries (ts, temperature_c, humidity_pct, vibration_mm_s) VALUES (?, ?, ?, ?)",
                    arguments: [now, readings[0], readings[1], readings[2]]
                )
                if draw[0] < 0.35 {
                    let sku = Self.skus[Int(draw[1] * Double(Self.skus.count)) % Self.skus.count]
                    let columns = migrated ? ", discount_cents" : ""
                    let values = migrated ? ", ?" : ""
                    var arguments: StatementArguments = [
                        "SO-\(name.uppercased())-\(Int(draw[2] * 1_000_000))", sku, 1 + Int(draw[3] * 12),
                        1_000 + Int(draw[4] * 40_000), "placed", now,
                    ]
                    if migrated { arguments += [draw[5] < 0.3 ? Int(draw[5] * 2_000) : 0] }
                    try db.execute(
                        sql: """
                            INSERT INTO order_events (order_no, sku, quantity, unit_price_cents, status, created_at\(columns))
                            VALUES (?, ?, ?, ?, ?, ?\(values))
                            """,
                        arguments: arguments
                    )
                }
                if draw[1] < 0.25 {
                    // Orders move on: placed → packed → shipped; a few are cancelled.
                    try db.execute(
                        sql: """
                            UPDATE order_events SET status = CASE status WHEN 'placed' THEN (CASE WHEN ? < 0.1 THEN 'cancelled' ELSE 'packed' END)
                                                                          WHEN 'packed' THEN 'shipped' ELSE status END
                            WHERE id = (SELECT id FROM order_events WHERE status IN ('placed', 'packed') ORDER BY random() LIMIT 1)
                            """,
                        arguments: [draw[2]]
                    )
                }
                if draw[2] < 0.04 {
                    try db.execute(
                        sql:
                            "DELETE FROM order_events WHERE id = (SELECT id FROM order_events WHERE status = 'cancelled' ORDER BY id LIMIT 1)"
                    )
                }
                if draw[3] < 0.1 {
                    let modes = ["running", "idle", "auto", "maintenance"]
                    try db.execute(
                        sql:
                            "UPDATE device_state SET mode = ?, setpoint = round(setpoint + ?, 1), updated_at = ? WHERE name = ?",
                        arguments: [
                            modes[Int(draw[4] * 4) % 4], (draw[5] - 0.5) * 2, now,
                            ["line-1", "line-2", "compressor"][Int(draw[0] * 3) % 3],
                        ]
                    )
                }
            }
            try await Task.sleep(for: configuration.tick)
        }
    }

    static func hasDiscount(_ db: Database) throws -> Bool {
        try Row.fetchAll(db, sql: "PRAGMA table_info(order_events)").contains { $0["name"] == "discount_cents" }
    }
}

extension DeviceSimulator.Configuration {
    /// WAL and a busy timeout: the agent reads the same file while the application writes.
    static var grdb: GRDB.Configuration {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        return configuration
    }
}
