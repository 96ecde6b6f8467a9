import NIOCore

/// Every MQTT 3.1.1 control packet (OASIS MQTT 3.1.1, §3). Payloads stay `ByteBuffer`s so a
/// 512 KiB batch is never copied between the socket and the ingest handler. The two large
/// packets are boxed: the enum then fits an existential's inline buffer, so passing a packet
/// between channel handlers (`NIOAny`) allocates and copies nothing more.
public enum MQTTPacket: Sendable, Hashable {
    indirect case connect(Connect)
    case connack(ConnAck)
    indirect case publish(Publish)
    case puback(packetID: UInt16)
    case pubrec(packetID: UInt16)
    case pubrel(packetID: UInt16)
    case pubcomp(packetID: UInt16)
    case subscribe(Subscribe)
    case suback(SubAck)
    case unsubscribe(Unsubscribe)
    case unsuback(packetID: UInt16)
    case pingreq
    case pingresp
    case disconnect

    /// The 4-bit packet type of the fixed header.
    public enum PacketType: UInt8, Sendable, Hashable {
        case connect = 1
        case connack
        case publish
        case puback
        case pubrec
        case pubrel
        case pubcomp
        case subscribe
        case suback
        case unsubscribe
        case unsuback
        case pingreq
        case pingresp
        case disconnect
    }

    public var type: PacketType {
        switch self {
        case .connect: .connect
        case .connack: .connack
        case .publish: .publish
        case .puback: .puback
        case .pubrec: .pubrec
        case .pubrel: .pubrel
        case .pubcomp: .pubcomp
        case .subscribe: .subscribe
        case .suback: .suback
        case .unsubscribe: .unsubscribe
        case .unsuback: .unsuback
        case .pingreq: .pingreq
        case .pingresp: .pingresp
        case .disconnect: .disconnect
        }
    }
}

public enum QoS: UInt8, Sendable, Hashable, Comparable, CaseIterable {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2

    public static func < (lhs: QoS, rhs: QoS) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension MQTTPacket {
    public struct Will: Sendable, Hashable {
        public var topic: String
        public var message: ByteBuffer
        public var qos: QoS
        public var retain: Bool

        public init(topic: String, message: ByteBuffer, qos: QoS = .atMostOnce, retain: Bool = false) {
            self.topic = topic
            self.message = message
            self.qos = qos
            self.retain = retain
        }
    }

    public struct Connect: Sendable, Hashable {
        /// "MQTT" for 3.1.1; decoded as sent so the listener can answer other protocols properly.
        public var protocolName: String
        /// 4 for 3.1.1.
        public var protocolLevel: UInt8
        public var cleanSession: Bool
        /// Seconds; 0 disables keep-alive.
        public var keepAlive: UInt16
        public var clientID: String
        public var will: Will?
        public var username: String?
        public var password: ByteBuffer?

        public init(
            clientID: String,
            cleanSession: Bool = true,
            keepAlive: UInt16 = 30,
            will: Will? = nil,
            username: String? = nil,
            password: ByteBuffer? = nil,
            protocolName: String = "MQTT",
            protocolLevel: UInt8 = 4
        ) {
            self.protocolName = protocolName
            self.protocolLevel = protocolLevel
            self.cleanSession = cleanSession
            self.keepAlive = keepAlive
            self.clientID = clientID
            self.will = will
            self.username = username
            self.password = password
        }
    }

    /// CONNACK return codes (§3.2.2.3).
    public enum ConnectReturnCode: UInt8, Sendable, Hashable {
        case accepted = 0
        case unacceptableProtocolVersion = 1
        case identifierRejected = 2
        case serverUnavailable = 3
        case badUsernameOrPassword = 4
        case notAuthorized = 5
    }

    public struct ConnAck: Sendable, Hashable {
        public var sessionPresent: Bool
        public var returnCode: ConnectReturnCode

        public init(sessionPresent: Bool, returnCode: ConnectReturnCode) {
            self.sessionPresent = sessionPresent
            self.returnCode = returnCode
        }
    }

    public struct Publish: Sendable, Hashable {
        public var topic: String
        public var payload: ByteBuffer
        public var qos: QoS
        public var retain: Bool
        public var dup: Bool
        /// Present exactly when `qos > 0`; never 0.
        public var packetID: UInt16?

        public init(
            topic: String,
            payload: ByteBuffer,
            qos: QoS = .atMostOnce,
            retain: Bool = false,
            dup: Bool = false,
            packetID: UInt16? = nil
        ) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
            self.dup = dup
            self.packetID = packetID
        }
    }

    public struct Subscription: Sendable, Hashable {
        public var topicFilter: String
        public var qos: QoS

        public init(topicFilter: String, qos: QoS) {
            self.topicFilter = topicFilter
            self.qos = qos
        }
    }

    public struct Subscribe: Sendable, Hashable {
        public var packetID: UInt16
        public var subscriptions: [Subscription]

        public init(packetID: UInt16, subscriptions: [Subscription]) {
            self.packetID = packetID
            self.subscriptions = subscriptions
        }
    }

    /// A SUBACK return code: the granted QoS, or failure (`0x80`).
    public enum SubscribeReturnCode: Sendable, Hashable {
        case granted(QoS)
        case failure

        public var rawValue: UInt8 {
            switch self {
            case .granted(let qos): qos.rawValue
            case .failure: 0x80
            }
        }

        public init?(rawValue: UInt8) {
            if rawValue == 0x80 {
                self = .failure
            } else if let qos = QoS(rawValue: rawValue) {
                self = .granted(qos)
            } else {
                return nil
            }
        }
    }

    public struct SubAck: Sendable, Hashable {
        public var packetID: UInt16
        public var returnCodes: [SubscribeReturnCode]

        public init(packetID: UInt16, returnCodes: [SubscribeReturnCode]) {
            self.packetID = packetID
            self.returnCodes = returnCodes
        }
    }

    public struct Unsubscribe: Sendable, Hashable {
        public var packetID: UInt16
        public var topicFilters: [String]

        public init(packetID: UInt16, topicFilters: [String]) {
            self.packetID = packetID
            self.topicFilters = topicFilters
        }
    }
}
