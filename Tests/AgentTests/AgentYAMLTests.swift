import Foundation
import Testing

@testable import Agent

/// The configuration file's YAML, read by the agent's own reader: what a hand-written file holds,
/// and a clear error with its line for what it does not read.
@Suite("Agent YAML")
struct AgentYAMLTests {
    static func map(_ text: String) throws -> [String: Any] {
        try #require(try AgentYAML.parse(text) as? [String: Any])
    }

    @Test func theSampleConfigurationReads() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../deploy/agent.yaml"
        )
        let root = try Self.map(String(contentsOf: url, encoding: .utf8))
        let connection = try #require(root["connection"] as? [String: Any])
        #expect(
            connection["server_url_env"] as? String == "OMEGA_MQTT_BROKER_URL",
            "a comment after a value is dropped"
        )
        let mqtt = try #require(connection["mqtt"] as? [String: Any])
        #expect(mqtt["clean_session"] as? Bool == false && mqtt["keep_alive"] as? String == "30s")
        let tls = try #require(mqtt["tls"] as? [String: Any])
        #expect(tls["client_key_path"] as? String == "/etc/edgesync/device.key")
        let replication = try #require(root["sqlite-replication"] as? [String: Any])
        let strategies = try #require(replication["table_strategies"] as? [String: Any])
        let telemetry = try #require(strategies["sensor_timeseries"] as? [String: Any])
        #expect(telemetry["strategy"] as? String == "telemetry" && telemetry["ts_column"] as? String == "ts")
        #expect(replication["snapshot_on_first_run"] as? Bool == true)
    }

    @Test func blockSequencesQuotesAndScalars() throws {
        let root = try Self.map(
            """
            ---
            # a comment line
            columns:
            - a
            - "b # not a comment"
            nested:
              - name: x
                size: 3
              -
                name: y
            quoted: 'it''s: here'
            escaped: "tab\\there \\u00e9 \\"q\\""
            plain: abc#1
            url: mqtts://host:8883/path
            count: -42
            flags: [yes, off, true, False]
            empty:
            tilde: ~
            flow: {a: [1, 2], 'b c': {d: "e, f"}}
            ...
            ignored: after the end
            """
        )
        #expect(root["columns"] as? [String] == ["a", "b # not a comment"])
        let nested = try #require(root["nested"] as? [[String: Any]])
        #expect(nested.count == 2 && nested[0]["size"] as? Int == 3 && nested[1]["name"] as? String == "y")
        #expect(root["quoted"] as? String == "it's: here")
        #expect(root["escaped"] as? String == "tab\there é \"q\"")
        #expect(root["plain"] as? String == "abc#1" && root["url"] as? String == "mqtts://host:8883/path")
        #expect(root["count"] as? Int == -42 && root["flags"] as? [Bool] == [true, false, true, false])
        #expect(root["empty"] is AgentYAML.Null && root["tilde"] is AgentYAML.Null && root["ignored"] == nil)
        let flow = try #require(root["flow"] as? [String: Any])
        #expect(flow["a"] as? [Int] == [1, 2] && (flow["b c"] as? [String: Any])?["d"] as? String == "e, f")
    }

    @Test func aFlowCollectionMaySpanLines() throws {
        let root = try Self.map(
            """
            mqtt: {keep_alive: 30s,   # comment inside
                   tls: {ca_cert_path: /ca.pem,
                         client_key_path: /key.pem},
                   username: u}
            after: 1
            """
        )
        let mqtt = try #require(root["mqtt"] as? [String: Any])
        #expect((mqtt["tls"] as? [String: Any])?["client_key_path"] as? String == "/key.pem")
        #expect(mqtt["username"] as? String == "u" && root["after"] as? Int == 1)
    }

    /// An escaped quote (`\"`, `''`) does not end its scalar: a `#`, `:` or bracket after it is
    /// still text, in a block value, in a flow collection and in one that spans lines.
    @Test func escapedQuotesStayInsideTheirScalar() throws {
        let root = try Self.map(
            """
            device_id: "pump\\"7 # not a comment"
            note: 'it''s # here: too'
            flow: {a: "x\\"y, z}", b: 'p''q]'}
            spans: [one, "tw\\"o [",
                    three]
            after: 1 # a comment
            """
        )
        #expect(root["device_id"] as? String == "pump\"7 # not a comment")
        #expect(root["note"] as? String == "it's # here: too")
        let flow = try #require(root["flow"] as? [String: Any])
        #expect(flow["a"] as? String == "x\"y, z}" && flow["b"] as? String == "p'q]")
        #expect(root["spans"] as? [String] == ["one", "tw\"o [", "three"])
        #expect(root["after"] as? Int == 1)
    }

    @Test(arguments: [
        ("a:\n\tb: 1", 2, "tabs"),
        ("a: |\n  text", 1, "block scalars"),
        ("a: &anchor 1", 1, "anchors"),
        ("a: 'open", 1, "not closed"),
        ("a: 1\n   b: 2", 2, "unexpected"),
        ("a: 1\na: 2", 2, "twice"),
        ("a: 1\n---\nb: 2", 2, "one document"),
        ("a: {b: 1", 1, "not closed"),
        ("a: [1, 2] x", 1, "after the collection"),
        ("a: \"\\q\"", 1, "unknown escape"),
    ])
    func whatItDoesNotReadNamesTheLine(text: String, line: Int, message: String) {
        do {
            _ = try AgentYAML.parse(text)
            Issue.record("\(text) was read")
        } catch {
            #expect(error.line == line && error.message.contains(message), "\(error)")
        }
    }

    @Test func anEmptyDocumentIsNothing() throws {
        #expect(try AgentYAML.parse("# only a comment\n\n") == nil)
    }
}
