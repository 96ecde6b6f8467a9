import EdgeSyncModels
import Foundation

/// The downlink outbox (docs/spec/governance.md, "Downlink outbox"): controls written in the transaction
/// of the decision that caused them, delivered on connect, resent until acknowledged.
extension SQLGovernanceStore {
    func insertControl(
        _ tx: any SQLTransaction,
        device: DeviceIdentity,
        lineageID: String?,
        control: DownlinkControl,
        now: Timestamp
    ) throws -> OutboundControl {
        let body = try control.body()
        let table: String? =
            switch control.payload {
            case .pauseLineage(let table, _, _), .resumeLineage(let table, _), .stateWrite(let table, _): table
            case .urlGrant(let grant): grant.sourceTable
            case .batchRejected(let table, _, _, _): table
            case .serverHello: nil
            }
        try tx.execute(
            """
            INSERT INTO pending_control (id, project_id, device_id, lineage_id, kind, source_table, body, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(control.controlID), .text(device.projectID), .text(device.id), SQLValue(lineageID),
                .text(control.kind.rawValue), SQLValue(table), .text(String(decoding: body, as: UTF8.self)),
                .integer(now.ns),
            ]
        )
        // The replica that holds the device delivers it, whichever replica decided it.
        try Self.notify(tx, Self.controlChannel, device.id)
        return OutboundControl(id: control.controlID, body: body, deviceName: device.name, topicSlug: device.topicSlug)
    }

    public func acknowledgeControl(deviceID: String, controlID: String, at time: Timestamp) async throws -> Bool {
        try await backend.write { tx in
            guard
                try tx.execute(
                    "UPDATE pending_control SET acked_at = ? WHERE id = ? AND device_id = ? AND acked_at IS NULL",
                    [.integer(time.ns), .text(controlID), .text(deviceID)]
                ) == 1,
                let row = try tx.first(
                    "SELECT project_id, lineage_id, kind FROM pending_control WHERE id = ?",
                    [.text(controlID)]
                )
            else { return false }
            try Self.insertEvent(
                tx,
                GovernanceEvent(
                    projectID: row.string("project_id"),
                    deviceID: deviceID,
                    lineageID: row.optionalString("lineage_id"),
                    kind: .controlAcked,
                    outcome: row.string("kind"),
                    message: "control \(controlID) acknowledged"
                ),
                at: time
            )
            return true
        }
    }

    public func unacknowledgedControls(deviceID: String) async throws -> [OutboundControl] {
        try await backend.read { tx in
            try Self.outboundControls(
                tx,
                where: "c.device_id = ? AND c.acked_at IS NULL ORDER BY c.created_at, c.id",
                [.text(deviceID)]
            )
        }
    }

    static func outboundControls(
        _ tx: any SQLTransaction,
        where condition: String,
        _ binds: [SQLValue]
    ) throws -> [OutboundControl] {
        try tx.query(
            """
            SELECT c.id, c.body, d.name, p.topic_slug FROM pending_control c JOIN device d ON d.id = c.device_id
            JOIN project p ON p.id = d.project_id WHERE \(condition)
            """,
            binds
        ).map {
            OutboundControl(
                id: $0.string("id"),
                body: Array($0.string("body").utf8),
                deviceName: $0.string("name"),
                topicSlug: $0.string("topic_slug")
            )
        }
    }

    public func markControlsSent(ids: [String], at time: Timestamp) async throws {
        guard !ids.isEmpty else { return }
        try await backend.write { tx in
            for id in ids {
                guard
                    let control = try tx.first(
                        "SELECT project_id, device_id, lineage_id, kind, source_table, sent_count FROM pending_control WHERE id = ?",
                        [.text(id)]
                    )
                else { continue }
                try tx.execute(
                    "UPDATE pending_control SET sent_count = sent_count + 1, last_sent_at = ? WHERE id = ?",
                    [.integer(time.ns), .text(id)]
                )
                // The first delivery is the event; re-sends show as the control's sent count.
                guard control.int("sent_count") == 0 else { continue }
                try Self.insertEvent(
                    tx,
                    GovernanceEvent(
                        projectID: control.string("project_id"),
                        deviceID: control.string("device_id"),
                        lineageID: control.optionalString("lineage_id"),
                        kind: .controlSent,
                        outcome: control.string("kind"),
                        message:
                            "\(control.string("kind")) \(id)\(control.optionalString("source_table").map { " for " + $0 } ?? "")"
                    ),
                    at: time
                )
            }
        }
    }

    public func recordEvent(device: DeviceIdentity, kind: EventKind, outcome: String, message: String) async throws {
        try await backend.write { tx in
            try Self.insertEvent(tx, Self.deviceEvent(device, kind, outcome, message), at: .now)
        }
    }
}
