import Foundation
import TestSupport
import Testing

/// `mosquitto_pub` as device `pump-7`, publishing the spec's "valid row batch" vector (a
/// `device_state` table: insert, update and delete of id 1) and a follow-up that leaves id 2.
enum DeviceFeed {
    static func validRowBatch() throws -> String {
        try SpecVectors.body("valid row batch")
    }

    /// The next batch of the same lineage: inserts id 2.
    static func secondRowBatch() throws -> String {
        try validRowBatch()
            .replacingOccurrences(
                of: "01936f2e-5c3a-7b21-9c4d-2f1e8a7b6c5d",
                with: "01936f2e-5c3a-7b21-9c4d-2f1e8a7b6c5e"
            )
            .replacingOccurrences(
                of: #""first_commit_seq":101,"last_commit_seq":103"#,
                with: #""first_commit_seq":104,"last_commit_seq":104"#
            )
            .replacingOccurrences(
                of:
                    #"[{"commit_seq":101,"op":"insert","pk":{"id":1},"row":{"id":1,"mode":"idle","setpoint":20.5}},{"commit_seq":102,"op":"update","pk":{"id":1},"row":{"id":1,"mode":"cooling","setpoint":21}},{"commit_seq":103,"op":"delete","pk":{"id":1},"row":null}]"#,
                with:
                    #"[{"commit_seq":104,"op":"insert","pk":{"id":2},"row":{"id":2,"mode":"heating","setpoint":22.5}}]"#
            )
    }

    static func publish(_ body: String, port: Int, topic: String = "dev/pump-7/sync/rows/batch") async throws {
        let published = try await ProcessRunner.run(
            "mosquitto_pub",
            [
                "-h", "127.0.0.1", "-p", String(port), "-V", "mqttv311", "-i", "pump-7", "-q", "1", "-t", topic, "-m",
                body,
            ]
        )
        #expect(published.status == 0, "\(published.stderr)")
    }
}
