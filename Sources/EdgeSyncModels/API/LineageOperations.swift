/// `POST …/reset-materialization`.
public struct ResetMaterializationResponse: Codable, Sendable, Hashable {
    public var lineageID: String
    public var status: LineageStatus
    /// Whether a `resume_lineage` went to the device.
    public var resumed: Bool
    public var stagedRowCount: Int64

    public init(lineageID: String, status: LineageStatus, resumed: Bool, stagedRowCount: Int64) {
        self.lineageID = lineageID
        self.status = status
        self.resumed = resumed
        self.stagedRowCount = stagedRowCount
    }

    enum CodingKeys: String, CodingKey {
        case lineageID = "lineage_id"
        case status, resumed
        case stagedRowCount = "staged_row_count"
    }
}

/// `POST /devices/{device_id}/edge/state-tables/{lineage_id}/rows`: cloud-authoritative rows.
public struct StateWriteRequest: Codable, Sendable, Hashable {
    public struct Row: Codable, Sendable, Hashable {
        public var pk: JSONObject
        public var values: JSONObject

        public init(pk: JSONObject, values: JSONObject) {
            self.pk = pk
            self.values = values
        }
    }

    public var rows: [Row]

    public init(rows: [Row]) { self.rows = rows }

    /// Most rows one write-back may carry.
    public static let maximumRows = 500
}

public struct StateWriteResponse: Codable, Sendable, Hashable {
    public var controlID: String
    public var rowsWritten: Int
    public var sourceTable: String

    public init(controlID: String, rowsWritten: Int, sourceTable: String) {
        self.controlID = controlID
        self.rowsWritten = rowsWritten
        self.sourceTable = sourceTable
    }

    enum CodingKeys: String, CodingKey {
        case controlID = "control_id"
        case rowsWritten = "rows_written"
        case sourceTable = "source_table"
    }
}

/// `POST /edge/coalesced-mirrors/{source_table}/consolidate`.
public struct ConsolidationResult: Codable, Sendable, Hashable {
    public var sourceTable: String
    public var mirrorTable: String
    /// Lineages whose device-scoped mirror was copied and which now write to the shared target.
    public var lineageIDs: [String]
    public var rowsCopied: Int

    public init(sourceTable: String, mirrorTable: String, lineageIDs: [String], rowsCopied: Int) {
        self.sourceTable = sourceTable
        self.mirrorTable = mirrorTable
        self.lineageIDs = lineageIDs
        self.rowsCopied = rowsCopied
    }

    enum CodingKeys: String, CodingKey {
        case sourceTable = "source_table"
        case mirrorTable = "mirror_table"
        case lineageIDs = "lineage_ids"
        case rowsCopied = "rows_copied"
    }
}
