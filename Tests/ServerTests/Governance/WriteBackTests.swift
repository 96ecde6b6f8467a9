import EdgeSyncModels
import Testing

@testable import Server

@Suite("Rules: cloud state write-back")
struct WriteBackTests {
    typealias S = GovernanceSamples

    static let mirror = MaterializationTarget(
        kind: .mirror,
        table: "edge_mirror_x_device_state",
        columns: [
            .init(source: "id", target: "id", affinity: .integer, pkOrdinal: 1),
            .init(source: "mode", target: "operating_mode", affinity: .text, pkOrdinal: 0),
        ]
    )

    static func request(_ rows: [StateWriteRequest.Row]) -> StateWriteRequest { StateWriteRequest(rows: rows) }

    static func code(
        _ lineage: LineageState,
        _ target: MaterializationTarget?,
        _ request: StateWriteRequest
    ) -> APIErrorCode? {
        do {
            _ = try WriteBack.rows(lineage, target: target, request: request)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func onlyACloudAuthoritativeMirrorTakesWrites() {
        let row = StateWriteRequest.Row(pk: ["id": .integer(1)], values: ["mode": .string("eco")])
        #expect(Self.code(S.lineage(), Self.mirror, Self.request([row])) == .edgeStateNotCloudAuthoritative)
        let cloud = S.lineage(syncAuthority: .cloudAuthoritative)
        #expect(Self.code(cloud, nil, Self.request([row])) == .edgeStateMirrorNotProvisioned)
        #expect(Self.code(cloud, Self.mirror, Self.request([])) == .validationFailed)
    }

    @Test func eachRowNamesTheKeyExactlyAndOnlyMirroredColumns() throws {
        let cloud = S.lineage(syncAuthority: .cloudAuthoritative)
        let noKey = StateWriteRequest.Row(pk: [:], values: ["mode": .string("eco")])
        #expect(Self.code(cloud, Self.mirror, Self.request([noKey])) == .validationFailed)
        let unknown = StateWriteRequest.Row(pk: ["id": .integer(1)], values: ["id": .integer(2), "zone": .string("a")])
        #expect(Self.code(cloud, Self.mirror, Self.request([unknown])) == .unknownColumn)
        let good = StateWriteRequest.Row(pk: ["id": .integer(1)], values: ["mode": .string("eco")])
        let (mirror, rows) = try WriteBack.rows(cloud, target: Self.mirror, request: Self.request([good]))
        #expect(
            mirror == Self.mirror && rows[0].key.map(\.column) == ["id"]
                && rows[0].values.map(\.column) == ["operating_mode"]
        )
        let written = [StateWriteRow(pk: good.pk, values: good.values, cloudVersion: 3)]
        #expect(
            WriteBack.control(cloud, written: written)
                == .sendControl(
                    lineageID: "lin-1",
                    deviceID: "dev-1",
                    .stateWrite(sourceTable: "device_state", rows: written)
                )
        )
    }
}
