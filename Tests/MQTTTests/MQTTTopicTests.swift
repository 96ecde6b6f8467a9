import MQTT
import Testing

@Suite("Topic names and filters")
struct MQTTTopicTests {
    @Test func names() {
        #expect(MQTTTopic.isValidName("dev/pump-7/sync/rows/batch"))
        #expect(MQTTTopic.isValidName("/pump-7/sync/rows/batch"))
        for bad in ["", "a/+/b", "a/#", "a\u{0}b"] { #expect(!MQTTTopic.isValidName(bad), "\(bad)") }
    }

    @Test func filters() {
        for good in ["#", "+", "a/#", "+/b/+", "/+", "a//b", "$SYS/#", "sport/tennis/+"] {
            #expect(MQTTTopic.isValidFilter(good), "\(good)")
        }
        for bad in ["", "a#", "a/#/b", "a/b#", "a+/b", "a/+b", "##"] {
            #expect(!MQTTTopic.isValidFilter(bad), "\(bad)")
        }
    }

    @Test func matching() {
        #expect(MQTTTopic.matches(filter: "a/#", topic: "a"))
        #expect(MQTTTopic.matches(filter: "a/#", topic: "a/b/c"))
        #expect(MQTTTopic.matches(filter: "a/+/c", topic: "a/b/c"))
        #expect(!MQTTTopic.matches(filter: "a/+/c", topic: "a/b/d"))
        #expect(!MQTTTopic.matches(filter: "a/+", topic: "a/b/c"))
        #expect(MQTTTopic.matches(filter: "+/+", topic: "/finance"))
        #expect(MQTTTopic.matches(filter: "/+", topic: "/finance"))
        #expect(!MQTTTopic.matches(filter: "+", topic: "/finance"))
        #expect(!MQTTTopic.matches(filter: "#", topic: "$SYS/uptime"))
        #expect(!MQTTTopic.matches(filter: "+/uptime", topic: "$SYS/uptime"))
        #expect(MQTTTopic.matches(filter: "$SYS/#", topic: "$SYS/uptime"))
        #expect(MQTTTopic.matches(filter: "dev/pump-7/sync/ingest/control", topic: "dev/pump-7/sync/ingest/control"))
    }
}
