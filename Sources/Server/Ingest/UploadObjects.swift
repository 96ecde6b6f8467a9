import EdgeSyncModels
import Foundation

/// Where upload objects live from their PUT to their finalize: `FileUploadObjects` in the data
/// directory (a store one server owns), `StoreUploadObjects` in the store itself, where every
/// replica reaches the object a device PUT to any of them.
public protocol UploadObjects: Sendable {
    /// Receives an object: `body` hands its bytes to `append` in order. When `body` throws, what
    /// was received is removed.
    func receive(_ id: String, _ body: (_ append: ([UInt8]) async throws -> Void) async throws -> Void) async throws
    /// Calls `body` with the object's bytes in order, a piece at a time.
    func read(_ id: String, _ body: ([UInt8]) async throws -> Void) async throws
    func exists(_ id: String) async throws -> Bool
    func remove(_ id: String) async
}

/// Objects as files, `<data-dir>/uploads/<id>.jsonl.zst`, written under a `.part` name, synced,
/// then renamed.
public struct FileUploadObjects: UploadObjects {
    public let directory: URL

    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ id: String) -> URL { directory.appendingPathComponent(id + ".jsonl.zst") }

    public func receive(
        _ id: String,
        _ body: (_ append: ([UInt8]) async throws -> Void) async throws -> Void
    ) async throws {
        let partial = path(id).appendingPathExtension("part")
        do {
            _ = FileManager.default.createFile(atPath: partial.path, contents: nil)
            let file = try FileHandle(forWritingTo: partial)
            defer { try? file.close() }
            try await body { try file.write(contentsOf: Data($0)) }
            try file.synchronize()
        } catch {
            await remove(id)
            throw error
        }
        try? FileManager.default.removeItem(at: path(id))
        try FileManager.default.moveItem(at: partial, to: path(id))
    }

    public func read(_ id: String, _ body: ([UInt8]) async throws -> Void) async throws {
        guard let file = FileHandle(forReadingAtPath: path(id).path) else {
            throw UploadObjectReader.Failure(description: "the object is gone")
        }
        defer { try? file.close() }
        while let data = try file.read(upToCount: 1 << 16), !data.isEmpty { try await body(Array(data)) }
    }

    public func exists(_ id: String) async throws -> Bool { FileManager.default.fileExists(atPath: path(id).path) }

    public func remove(_ id: String) async {
        try? FileManager.default.removeItem(at: path(id))
        try? FileManager.default.removeItem(at: path(id).appendingPathExtension("part"))
    }
}

/// Objects in the store, in chunks of up to 1 MiB, each written in its own transaction and read
/// back one at a time (bounded memory on both sides).
public struct StoreUploadObjects: UploadObjects {
    public let store: any UploadStore
    static let chunkBytes = 1 << 20

    public init(store: any UploadStore) {
        self.store = store
    }

    public func receive(
        _ id: String,
        _ body: (_ append: ([UInt8]) async throws -> Void) async throws -> Void
    ) async throws {
        var pending: [UInt8] = []
        var seq = 0
        func flush() async throws {
            guard !pending.isEmpty else { return }
            try await store.appendUploadChunk(uploadID: id, seq: seq, bytes: pending)
            seq += 1
            pending.removeAll(keepingCapacity: true)
        }
        do {
            try await store.removeUploadChunks(uploadID: id)
            try await body { bytes in
                pending += bytes
                if pending.count >= Self.chunkBytes { try await flush() }
            }
            try await flush()
        } catch {
            await remove(id)
            throw error
        }
    }

    public func read(_ id: String, _ body: ([UInt8]) async throws -> Void) async throws {
        var seq = 0
        while let chunk = try await store.uploadChunk(uploadID: id, seq: seq) {
            try await body(chunk)
            seq += 1
        }
        guard seq > 0 else { throw UploadObjectReader.Failure(description: "the object is gone") }
    }

    public func exists(_ id: String) async throws -> Bool {
        try await store.uploadChunk(uploadID: id, seq: 0) != nil
    }

    public func remove(_ id: String) async {
        try? await store.removeUploadChunks(uploadID: id)
    }
}
