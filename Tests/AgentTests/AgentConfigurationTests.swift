import Testing

@testable import Agent

@Suite("Agent configuration")
struct AgentConfigurationTests {
    static let yaml = """
        connection:
          server_url_env: OMEGA_MQTT_BROKER_URL
          device_id_env: OMEGA_DEVICE_ID
          root_topic_env: OMEGA_ROOT_TOPIC
          mqtt: {keep_alive: 30s, clean_session: false,
                 tls: {ca_cert_path_env: OMEGA_TLS_CA_PATH, client_cert_path_env: OMEGA_TLS_CERT_PATH,
                       client_key_path_env: OMEGA_TLS_KEY_PATH},
                 username_env: OMEGA_MQTT_USERNAME, password_env: OMEGA_MQTT_PASSWORD}
        sqlite-replication:
          source_db_path_env: OMEGA_SOURCE_DB_PATH
          state_db_path_env: OMEGA_STATE_DB_PATH
          flush_interval: 5s
          local_retention_bytes: 256MiB
          snapshot_on_first_run: false
          table_strategies:
            device_state: {strategy: rows}
            sensor_timeseries: {strategy: telemetry, ts_column: ts}
            scratch: {strategy: ignore}
        """

    static let environment = [
        "OMEGA_MQTT_BROKER_URL": "mqtts://broker.example:8883", "OMEGA_DEVICE_ID": "pump-7",
        "OMEGA_ROOT_TOPIC": "dev/pump-7",
        "OMEGA_SOURCE_DB_PATH": "/data/app.db", "OMEGA_STATE_DB_PATH": "/data/agent.db",
        "OMEGA_MQTT_PASSWORD": "s3cret",
        "OMEGA_TLS_CA_PATH": "/etc/edge/ca.pem",
    ]

    @Test func theSpecExampleWithItsEnvironment() throws {
        let configuration = try AgentConfigurationLoader(environment: Self.environment).load(yaml: Self.yaml)
        #expect(configuration.serverURL == "mqtts://broker.example:8883" && configuration.deviceID == "pump-7")
        #expect(
            configuration.password == "s3cret" && configuration.caCertificatePath == "/etc/edge/ca.pem"
                && configuration.clientKeyPath == nil
        )
        #expect(
            configuration.sourceDatabasePath == "/data/app.db" && configuration.resolvedStatePath == "/data/agent.db"
        )
        #expect(
            configuration.flushInterval == .seconds(5) && configuration.localRetentionBytes == 256 << 20
                && configuration.keepAlive == .seconds(30)
        )
        #expect(
            configuration.tableStrategies == [
                "device_state": .rows, "sensor_timeseries": .telemetry(tsColumn: "ts", includeColumns: nil),
                "scratch": .ignore,
            ]
        )
        #expect(configuration.problemsForRun.isEmpty)
    }

    @Test func environmentAloneAndLiteralTwins() throws {
        let alone = try AgentConfigurationLoader(environment: Self.environment).load(yaml: nil)
        #expect(alone.deviceID == "pump-7" && alone.tableStrategies.isEmpty && alone.strategy(of: "anything") == .rows)
        let literal = try AgentConfigurationLoader(environment: [:]).load(
            yaml: """
                connection: {server_url: "mqtt://127.0.0.1:1883", device_id: valve-1}
                sqlite-replication: {source_db_path: /tmp/app.db, flush_interval: 250ms, snapshot_on_first_run: true,
                  table_strategies: {t: {strategy: telemetry, ts_column: at, include_columns: [a, b]}}}
                """
        )
        #expect(literal.resolvedRootTopic == "dev/valve-1" && literal.resolvedStatePath == "/tmp/app.db.edgesync-state")
        #expect(literal.flushInterval == .milliseconds(250) && literal.snapshotOnFirstRun)
        #expect(literal.tableStrategies["t"] == .telemetry(tsColumn: "at", includeColumns: ["a", "b"]))
        #expect(literal.compression, "zstd unless the file says none")
        let plain = try AgentConfigurationLoader(environment: [:]).load(yaml: "connection: {mqtt: {compression: none}}")
        #expect(!plain.compression)
    }

    @Test(arguments: [
        ("connection: {server_ur: x}", "connection.server_ur"),
        ("sqlite-replication: {flush_interval: soon}", "sqlite-replication.flush_interval"),
        ("sqlite-replication: {local_retention_bytes: lots}", "sqlite-replication.local_retention_bytes"),
        (
            "sqlite-replication: {table_strategies: {t: {strategy: telemetry}}}",
            "sqlite-replication.table_strategies.t.ts_column"
        ),
        (
            "sqlite-replication: {table_strategies: {t: {strategy: mirror}}}",
            "sqlite-replication.table_strategies.t.strategy"
        ),
        ("connection: {mqtt: {clean_session: maybe}}", "connection.mqtt.clean_session"),
        ("connection: {mqtt: {compression: gzip}}", "connection.mqtt.compression"),
        ("mqtt: {}", "mqtt"),
        ("connection: [1, 2]", "connection"),
        ("connection: {server_url: 'x", "(file)"),
    ])
    func badConfigurationNamesTheKey(yaml: String, key: String) {
        #expect(throws: AgentConfigurationError.self) {
            try AgentConfigurationLoader(environment: [:]).load(yaml: yaml)
        }
        do {
            _ = try AgentConfigurationLoader(environment: [:]).load(yaml: yaml)
        } catch {
            #expect(error.key == key, "\(error)")
        }
    }

    @Test func runNeedsAServerADeviceAndADatabase() throws {
        let empty = try AgentConfigurationLoader(environment: [:]).load(yaml: nil)
        #expect(empty.problemsForRun.count == 3)
        var bad = empty
        bad.serverURL = "http://x"
        bad.deviceID = "a/b"
        bad.sourceDatabasePath = "/x"
        #expect(bad.problemsForRun.count == 2)
    }
}
