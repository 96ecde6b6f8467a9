import EdgeSyncModels

/// API tokens and the responses kept for `Idempotency-Key` replays.
extension SQLGovernanceStore {
    @discardableResult
    public func createToken(
        name: String,
        tokenHash: String,
        scopes: [TokenScope],
        now: Timestamp
    ) async throws -> APIToken {
        let id = ids.next().description
        try await backend.write { tx in
            try tx.execute(
                "INSERT INTO api_token (id, name, token_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)",
                [
                    .text(id), .text(name), .text(tokenHash), .text(scopes.map(\.rawValue).joined(separator: " ")),
                    .integer(now.ns),
                ]
            )
        }
        return APIToken(id: id, name: name, scopes: scopes.map(\.rawValue), createdAt: now)
    }

    public func principal(tokenHash: String) async throws -> Principal? {
        try await backend.read { tx in
            guard
                let row = try tx.first(
                    "SELECT id, name, scopes FROM api_token WHERE token_hash = ? AND revoked_at IS NULL",
                    [.text(tokenHash)]
                )
            else { return nil }
            let scopes = row.string("scopes").split(separator: " ").compactMap { TokenScope(rawValue: String($0)) }
            return Principal(tokenID: row.string("id"), name: row.string("name"), scopes: Set(scopes))
        }
    }

    public func tokens(page: PageRequest) async throws -> (items: [APIToken], total: Int) {
        try await backend.read { tx in
            try Self.fetchPage(tx, from: "api_token", where: [], binds: [], order: "created_at", page: page) { row in
                APIToken(
                    id: row.string("id"),
                    name: row.string("name"),
                    scopes: row.string("scopes").split(separator: " ").map(String.init),
                    createdAt: Timestamp(ns: row.int64("created_at")),
                    revokedAt: Timestamp(ns: row.optionalInt64("revoked_at"))
                )
            }
        }
    }

    public func revokeToken(id: String, now: Timestamp) async throws -> Bool {
        try await backend.write { tx in
            try tx.execute(
                "UPDATE api_token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                [.integer(now.ns), .text(id)]
            ) == 1
        }
    }

    public func reserveIdempotencyKey(
        _ request: StoredResponse,
        principalID: String,
        key: String,
        now: Timestamp
    ) async throws -> IdempotencyReservation {
        try await backend.write { tx in
            try tx.execute(
                "DELETE FROM idempotency_key WHERE created_at <= ?",
                [.integer(now.ns - StoredResponse.lifetimeNanoseconds)]
            )
            // A reservation left by a request that never finished (status 0) is free again.
            try tx.execute(
                "DELETE FROM idempotency_key WHERE principal_id = ? AND key = ? AND status = 0 AND created_at <= ?",
                [.text(principalID), .text(key), .integer(now.ns - StoredResponse.pendingLifetimeNanoseconds)]
            )
            if let row = try tx.first(
                "SELECT * FROM idempotency_key WHERE principal_id = ? AND key = ?",
                [.text(principalID), .text(key)]
            ) {
                let stored = StoredResponse(
                    method: row.string("method"),
                    path: row.string("path"),
                    bodyHash: row.string("body_hash"),
                    status: row.int("status"),
                    body: row["response"].blob ?? []
                )
                guard stored.matches(request) else { return .reused }
                return stored.status == 0 ? .inProgress : .replay(stored)
            }
            try tx.execute(
                """
                INSERT INTO idempotency_key (principal_id, key, method, path, body_hash, status, response, created_at)
                VALUES (?, ?, ?, ?, ?, 0, ?, ?)
                """,
                [
                    .text(principalID), .text(key), .text(request.method), .text(request.path), .text(request.bodyHash),
                    .blob([]), .integer(now.ns),
                ]
            )
            return .reserved
        }
    }

    public func completeIdempotencyKey(
        _ response: StoredResponse,
        principalID: String,
        key: String,
        now: Timestamp
    ) async throws {
        try await backend.write { tx in
            try tx.execute(
                "UPDATE idempotency_key SET status = ?, response = ?, created_at = ? WHERE principal_id = ? AND key = ?",
                [
                    .integer(Int64(response.status)), .blob(response.body), .integer(now.ns), .text(principalID),
                    .text(key),
                ]
            )
        }
    }

    public func releaseIdempotencyKey(principalID: String, key: String) async throws {
        try await backend.write { tx in
            try tx.execute(
                "DELETE FROM idempotency_key WHERE principal_id = ? AND key = ? AND status = 0",
                [.text(principalID), .text(key)]
            )
        }
    }
}
