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

    public func adminToken(legacy: String?, now: Timestamp) async throws -> String {
        try await backend.write { tx in
            let name = SQLValue.text("admin_token")
            let held = "SELECT value FROM server_secret WHERE name = ?\(tx.lockRows)"
            var token = try tx.value(held, [name])?.text
            if token == nil {
                try tx.execute(
                    "INSERT INTO server_secret (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                    [name, .text(legacy ?? Secrets.randomToken()), .integer(now.ns)]
                )
                token = try tx.value(held, [name])?.text
            }
            guard var token else { throw StoreError(.internal, "the admin token could not be stored") }
            let revoked = try tx.exists(
                "SELECT 1 FROM api_token WHERE token_hash = ? AND revoked_at IS NOT NULL",
                [.text(Secrets.tokenHash(token))]
            )
            if revoked {
                token = Secrets.randomToken()
                try tx.execute("UPDATE server_secret SET value = ? WHERE name = ?", [.text(token), name])
            }
            try tx.execute(
                """
                INSERT INTO api_token (id, name, token_hash, scopes, created_at) VALUES (?, 'admin (first start)', ?, ?, ?)
                ON CONFLICT (token_hash) DO NOTHING
                """,
                [
                    .text(self.ids.next().description), .text(Secrets.tokenHash(token)),
                    .text(TokenScope.admin.rawValue),
                    .integer(now.ns),
                ]
            )
            return token
        }
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
            // Taken by the insert itself: of two replicas reserving one key at once, one inserts and
            // the other finds its reservation.
            let reserved = try tx.execute(
                """
                INSERT INTO idempotency_key (principal_id, key, method, path, body_hash, status, response, created_at)
                VALUES (?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (principal_id, key) DO NOTHING
                """,
                [
                    .text(principalID), .text(key), .text(request.method), .text(request.path), .text(request.bodyHash),
                    .blob([]), .integer(now.ns),
                ]
            )
            guard reserved == 0,
                let row = try tx.first(
                    "SELECT * FROM idempotency_key WHERE principal_id = ? AND key = ?",
                    [.text(principalID), .text(key)]
                )
            else { return .reserved }
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
