import ArgumentParser
import EdgeSyncModels
import Server

// Options whose values the API names: a value outside them is a usage error (exit 2) that lists
// the accepted ones, before any request.
extension LineageStatus: ExpressibleByArgument {}
extension ReviewStatusFilter: ExpressibleByArgument {}
extension BatchOutcome: ExpressibleByArgument {}
extension CredentialKind: ExpressibleByArgument {}
extension SyncAuthority: ExpressibleByArgument {}
extension LineageFilter.Sort: ExpressibleByArgument {}
