import EdgeSyncModels
import Testing

@Suite("Mirror identifiers and topics")
struct IdentifierTests {
    @Test func cleanNamesStayAsTheyAre() {
        #expect(MirrorIdentifier.derive("device_state") == "device_state")
        #expect(MirrorIdentifier.derive("t1") == "t1")
    }

    @Test func anyChangeAppendsTheHashOfTheOriginal() {
        #expect(MirrorIdentifier.derive("Device State") == "device_state_2f58e33c")
        #expect(MirrorIdentifier.derive("device-state") == "device_state_0bb56017")
        #expect(MirrorIdentifier.derive("Temperature") == "temperature_b958ce8b")
        #expect(MirrorIdentifier.derive("temp (°C)") == "temp_c__25409c95")
    }

    @Test func namesThatNormalizeAlikeNeverCollide() {
        let names = ["a.b", "a-b", "a b", "A_B", "a__b", "a_b"]
        let derived = names.map(MirrorIdentifier.derive)
        #expect(Set(derived).count == names.count)
        #expect(MirrorIdentifier.derive("a.b") == "a_b_2e7336dc")
        #expect(MirrorIdentifier.derive("a-b") == "a_b_d44362d6")
    }

    @Test func unicodeBecomesUnderscores() {
        #expect(MirrorIdentifier.derive("ÄÖÜ") == "__1eccaaf0")
        #expect(MirrorIdentifier.derive("温度_c").hasPrefix("_c_"))
    }

    @Test func longNamesAreCutAt40AndHashed() {
        let long = String(repeating: "x", count: 45)
        #expect(MirrorIdentifier.derive(long) == String(repeating: "x", count: 40) + "_15b52637")
        let exactly40 = String(repeating: "y", count: 40)
        #expect(MirrorIdentifier.derive(exactly40) == exactly40)
    }

    @Test func reservedUnderscorePrefixIsNeverAMirrorColumn() {
        #expect(MirrorIdentifier.columnName(forSourceColumn: "_secret") == "c_secret_eae319d3")
        #expect(MirrorIdentifier.columnName(forSourceColumn: "ÄÖÜ") == "c__1eccaaf0")
        #expect(MirrorIdentifier.columnName(forSourceColumn: "mode") == "mode")
        #expect(MirrorIdentifier.derive("_secret") == "_secret")
        #expect(MirrorIdentifier.problem(withColumnName: "_device_id") != nil)
        #expect(MirrorIdentifier.problem(withColumnName: "Mode") != nil)
        #expect(MirrorIdentifier.problem(withColumnName: "1x") != nil)
        #expect(MirrorIdentifier.problem(withColumnName: String(repeating: "a", count: 64)) != nil)
        #expect(MirrorIdentifier.problem(withColumnName: "set_point_c") == nil)
    }

    @Test func targetNamesUseTheScopeTag() {
        let device = "4f9c2a1e-0b7d-4e0c-9a51-2b3c4d5e6f70"
        #expect(
            MirrorIdentifier.mirrorTableName(scope: .device(id: device), sourceTable: "device_state")
                == "edge_mirror_4f9c2a1e_device_state"
        )
        #expect(
            MirrorIdentifier.mirrorTableName(
                scope: .project(id: "AB12CD34-0000-0000-0000-000000000000"),
                sourceTable: "Orders"
            )
                == "edge_mirror_pab12cd34_orders_" + SHA256Hex.digest("Orders").prefix(8)
        )
        #expect(
            MirrorIdentifier.seriesTableName(scope: .fleet(id: device), sourceTable: "temps")
                == "edge_ts_f4f9c2a1e_temps"
        )
    }

    @Test func topicLayoutBuildsAndParses() throws {
        let layout = TopicLayout(topicSlug: "dev")
        #expect(layout.topic(deviceName: "pump-7", uplink: .rowBatch) == "dev/pump-7/sync/rows/batch")
        #expect(layout.controlTopic(deviceName: "pump-7") == "dev/pump-7/sync/ingest/control")
        #expect(TopicLayout(topicSlug: "").root(deviceName: "pump-7") == "/pump-7")
        let parsed = try #require(TopicLayout.parse("dev/pump-7/sync/telemetry/batch"))
        #expect(parsed.topicSlug == "dev" && parsed.deviceName == "pump-7" && parsed.uplink == .telemetryBatch)
        let bare = try #require(TopicLayout.parse("/pump-7/sync/ingest/control"))
        #expect(bare.topicSlug == "" && bare.isControl && bare.root == "/pump-7")
        #expect(TopicLayout.parse("dev/pump-7/sync/rows/other") == nil)
        #expect(TopicLayout.parse("dev/+/sync/rows/batch") == nil)
        #expect(TopicLayout.parse("sync/rows/batch") == nil)
    }

    @Test func deviceNames() {
        #expect(DeviceName.isValid("pump-7.a_B"))
        for bad in ["", "a/b", "a+b", "a#b", "a\u{0}b", "é", String(repeating: "d", count: 65), "a b"] {
            #expect(!DeviceName.isValid(bad), "\(bad)")
        }
    }
}
