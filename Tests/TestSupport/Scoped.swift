/// Runs `body` with `resource` and always runs `cleanup` afterwards, also when `body` throws
/// (Swift has no async `defer`).
public func scoped<Resource, Result>(
    _ resource: Resource,
    cleanup: (Resource) async -> Void,
    _ body: (Resource) async throws -> Result
) async throws -> Result {
    do {
        let result = try await body(resource)
        await cleanup(resource)
        return result
    } catch {
        await cleanup(resource)
        throw error
    }
}
