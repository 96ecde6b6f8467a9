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

    @Test func limitsAreAtLeastOne() {
        var configuration = ServerConfiguration()
        configuration.mqttConnectTimeout = .zero
        configuration.maximumQueuedControlsPerDevice = 0
        configuration.shutdownGracePeriod = .seconds(-1)
        configuration.uploadLimits.maximumOpenGrantsPerDevice = 0
        #expect(
            configuration.problems == [
                "--mqtt-connect-timeout must be at least 1, not 0",
                "--max-queued-controls must be at least 1, not 0",
                "--shutdown-grace-period must be at least 1, not -1",
                "--upload-grants-per-device must be at least 1, not 0",
            ]
        )
    }

    @Test func theMQTTListenersTakeTheServersLimits() {
        var configuration = ServerConfiguration(mqttHost: "127.0.0.2")
        configuration.mqttConnectTimeout = .seconds(3)
        configuration.maximumQueuedControlsPerDevice = 50
        configuration.mqttMaximumIdle = .seconds(60)
        let listener = configuration.mqttListenerConfiguration(port: 1884)
        #expect(listener.host == "127.0.0.2" && listener.port == 1884 && listener.tls == nil)
        #expect(listener.connectTimeout == .seconds(3) && listener.maximumQueuedDownlinksPerSession == 50)
        #expect(listener.maximumIdle == .seconds(60))
    }

    @Test func flagsThatGoTogether() {
        #expect(ServerConfiguration(mqttsPort: 8883).problems == ["--mqtts-port needs --tls-cert and --tls-key"])
        #expect(ServerConfiguration(deviceCACertificatePath: "ca.pem").problems.count == 1)
        #expect(ServerConfiguration(httpPort: 70_000).problems.count == 1)
        #expect(ServerConfiguration(mqttPort: nil).problems.count == 1)
    }

    @Test func theSchedulerSliceIsOneTheKernelAccepts() {
        var configuration = ServerConfiguration()
        #expect(configuration.schedulerSlice == nil)
        for slice in [nil, .microseconds(100), .milliseconds(100)] as [Duration?] {
            configuration.schedulerSlice = slice
            #expect(configuration.problems.isEmpty)
        }
        for slice: Duration in [.microseconds(99), .milliseconds(101)] {
            configuration.schedulerSlice = slice
            #expect(configuration.problems == ["--scheduler-slice-us must be 0 (the kernel's default) or 100–100000"])
        }
    }
}
