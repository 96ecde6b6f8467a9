/// `GET …/edge/summary`: what a console's header counts, in one request.
public struct EdgeSummary: Codable, Sendable, Hashable {
    public struct Lineages: Codable, Sendable, Hashable {
        public var active: Int
        public var paused: Int

        public init(active: Int, paused: Int) {
            self.active = active
            self.paused = paused
        }
    }

    /// Device and registry reviews together.
    public struct Reviews: Codable, Sendable, Hashable {
        public var queued: Int
        public var inReview: Int
        /// In review, claimed with the caller's token.
        public var mine: Int

        public init(queued: Int, inReview: Int, mine: Int) {
            self.queued = queued
            self.inReview = inReview
            self.mine = mine
        }

        enum CodingKeys: String, CodingKey {
            case queued
            case inReview = "in_review"
            case mine
        }
    }

    public struct Devices: Codable, Sendable, Hashable {
        public var total: Int
        /// With an MQTT session on a live replica now.
        public var connected: Int

        public init(total: Int, connected: Int) {
            self.total = total
            self.connected = connected
        }
    }

    public var lineages: Lineages
    public var reviews: Reviews
    public var devices: Devices

    public init(lineages: Lineages, reviews: Reviews, devices: Devices) {
        self.lineages = lineages
        self.reviews = reviews
        self.devices = devices
    }
}
