import GRDB

/// The application's side of a test: its own GRDB connection pool on its database file, as an
/// application beside the agent would have (WAL, a busy timeout for the agent's short writes).
enum AppDatabase {
    static func open(_ path: String) throws -> DatabasePool {
        var settings = Configuration()
        settings.busyMode = .timeout(10)
        return try DatabasePool(path: path, configuration: settings)
    }
}
