import MQTT
import Server
import Testing

@Suite("Server configuration")
struct ServerConfigurationTests {
    @Test func defaultsAreValidAndLocal() {
        let configuration = ServerConfiguration()
        #expect(configuration.problems.isEmpty)
        #expect(configuration.httpHost == "127.0.0.1" && configuration.mqttPort == 1883)
        #expect(configuration.dataDirectory == "./.edgesync")
    }

    @Test func devOpenOnlyOnLoopback() {
        #expect(ServerConfiguration(mqttHost: "127.0.0.2", devOpen: true).problems.isEmpty)
        #expect(ServerConfiguration(mqttHost: "::1", devOpen: true).problems.isEmpty)
        let open = ServerConfiguration(mqttHost: "0.0.0.0", devOpen: true)
        #expect(open.problems.count == 1)
        #expect(open.problems[0].contains("--dev-open"))
        #expect(!MQTTListener.isLoopback("127.0.0.256"))
        #expect(!MQTTListener.isLoopback("10.0.0.1"))
    }

    @Test func flagsThatGoTogether() {
        #expect(ServerConfiguration(mqttsPort: 8883).problems == ["--mqtts-port needs --tls-cert and --tls-key"])
        #expect(ServerConfiguration(deviceCACertificatePath: "ca.pem").problems.count == 1)
        #expect(ServerConfiguration(httpPort: 70_000).problems.count == 1)
        #expect(ServerConfiguration(mqttPort: nil).problems.count == 1)
    }
}
