import EdgeSyncModels
import Foundation
import TestSupport
import Testing

@testable import Server

/// A device's connection is recorded in one transaction: its session, when it was last seen and
/// its `device.connected` event; so is its end, with `device.disconnected`. Devices connecting or
/// leaving at once (a fleet reconnecting after a restart) may share that transaction, and each
/// still gets its own.
@Suite("Device sessions")
struct DeviceSessionTests {
    @Test func devicesConnectingAtOnceEachGetTheirSessionSeenTimeAndEvent() async throws {
        let fixture = try await StoreFixture.make()
        let store = fixture.store
        let project = fixture.tenancy.project.id
        var devices: [DeviceIdentity] = []
        for index in 0..<40 {
            let name = "fleet-\(index)"
            _ = try await store.registerDevice(
                name: name,
                projectID: project,
                fleetID: fixture.tenancy.fleetID,
                now: .now
            )
            devices.append(try #require(try await store.device(named: name, projectID: project)))
        }
        try await store.heartbeat(replicaID: "here", starting: true)
        let epochs = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for device in devices {
                group.addTask {
                    (device.id, try await store.openSession(device: device, replicaID: "here", outcome: "tcp"))
                }
            }
            return try await group.reduce(into: [String: String]()) { $0[$1.0] = $1.1 }
        }
        #expect(Set(epochs.values).count == devices.count)
        let listed = try await store.devices(projectID: project, query: "fleet-", page: PageRequest(limit: 100)).items
        #expect(listed.count == devices.count)
        #expect(listed.allSatisfy { $0.connected && $0.lastSeenAt != nil }, "\(listed.filter { !$0.connected })")
        var filter = EventFilter()
        filter.kind = .deviceConnected
        let events = try await store.events(projectID: project, filter: filter, page: PageRequest(limit: 100)).items
        #expect(Set(events.compactMap(\.deviceID)) == Set(devices.map(\.id)))
        #expect(events.count == devices.count && events.allSatisfy { $0.outcome == "tcp" })

        // Half leave at once; one of them had its session replaced already, which stays.
        let leaving = Array(devices.prefix(20))
        let replaced = try await store.openSession(device: leaving[0], replicaID: "here", outcome: "tls")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, device) in leaving.enumerated() {
                group.addTask {
                    try await store.closeSession(device: device, epoch: index == 0 ? nil : epochs[device.id])
                }
            }
            try await group.waitForAll()
        }
        let after = try await store.devices(projectID: project, query: "fleet-", page: PageRequest(limit: 100)).items
        let stillConnected = Set(after.filter(\.connected).map(\.id))
        #expect(stillConnected == Set(devices.dropFirst(20).map(\.id) + [leaving[0].id]))
        #expect(!replaced.isEmpty)
        filter.kind = .deviceDisconnected
        let left = try await store.events(projectID: project, filter: filter, page: PageRequest(limit: 100)).items
        #expect(Set(left.compactMap(\.deviceID)) == Set(leaving.map(\.id)) && left.count == leaving.count)
    }
}
