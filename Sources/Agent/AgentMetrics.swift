import EdgeSyncModels

/// The agent's state in Prometheus' text format, for node_exporter's textfile collector: the
/// connection, each table's backlog, pause and error, the disk headroom and the rows published.
/// Written whole every `metrics.interval` (docs/spec/agent.md, "Metrics").
struct AgentMetrics {
    var status: AgentInspection.Status
    /// Rows and samples the server acknowledged since the agent started.
    var publishedRows: Int
    var startedAt: Timestamp
    var now: Timestamp

    var text: String {
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for sample in samples { lines.append(name + sample.labels + " " + sample.value) }
        }
        func perTable(_ value: (AgentInspection.TableStatus) -> Int) -> [(labels: String, value: String)] {
            status.tables.map { ("{table=\"\(Self.escaped($0.name))\"}", String(value($0))) }
        }
        metric(
            "edge_agent_connected",
            "gauge",
            "Whether the MQTT session to the server is up.",
            [("", status.connection == "connected" ? "1" : "0")]
        )
        metric(
            "edge_agent_pending_rows",
            "gauge",
            "Journal entries waiting to be acknowledged by the server.",
            perTable(\.pendingRows)
        )
        metric("edge_agent_pending_bytes", "gauge", "Bytes of the entries waiting.", perTable(\.pendingBytes))
        metric(
            "edge_agent_oldest_pending_age_seconds",
            "gauge",
            "Seconds since the agent first saw the oldest entry waiting (0 when none waits or it is not seen yet).",
            perTable { Int($0.oldestPendingAgeSeconds ?? 0) }
        )
        metric(
            "edge_agent_table_paused",
            "gauge",
            "Whether the server paused the table.",
            perTable { $0.paused ? 1 : 0 }
        )
        metric(
            "edge_agent_table_error",
            "gauge",
            "Whether the table's last attempt failed (the log and `status` say why).",
            perTable { $0.lastError == nil ? 0 : 1 }
        )
        if let free = status.diskFreeBytes {
            metric(
                "edge_agent_disk_free_bytes",
                "gauge",
                "Free bytes on the filesystem of the application's database.",
                [("", String(free))]
            )
        }
        metric(
            "edge_agent_published_rows_total",
            "counter",
            "Rows and samples the server acknowledged since the agent started.",
            [("", String(publishedRows))]
        )
        metric(
            "edge_agent_start_time_seconds",
            "gauge",
            "When the agent started, in Unix time.",
            [("", String(startedAt.seconds))]
        )
        metric(
            "edge_agent_metrics_updated_seconds",
            "gauge",
            "When this file was written, in Unix time: an old value means the agent stopped writing it.",
            [("", String(now.seconds))]
        )
        return lines.joined(separator: "\n") + "\n"
    }

    /// A label value as the text format quotes it.
    static func escaped(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}
