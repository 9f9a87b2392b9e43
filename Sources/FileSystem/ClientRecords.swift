import Foundation
import MetadataStore

/// Which NFS clients a server knew, so that after a restart those may reclaim their state. Kept by the
/// storage engine under one scope per listener (each mount target has its own).
public protocol ClientRecordStore: Sendable {
    func load() async -> Set<[UInt8]>
    func add(_ owner: [UInt8]) async
    func remove(_ owners: [[UInt8]]) async
}

/// Client records as resource rows of the metadata store.
struct StoredClientRecords: ClientRecordStore {
    let store: any MetadataStore
    let scope: String
    private static let kind = ResourceKind.Engine.nfsClient

    private func id(_ owner: [UInt8]) -> String { scope + "/" + owner.map { String(format: "%02x", $0) }.joined() }

    func load() async -> Set<[UInt8]> {
        let prefix = scope + "/"
        let rows = (try? await store.read { try $0.resources(kind: Self.kind) }) ?? []
        return Set(rows.filter { $0.id.hasPrefix(prefix) }.map(\.body))
    }

    func add(_ owner: [UInt8]) async {
        let key = id(owner)
        try? await store.write { try $0.putResource(kind: Self.kind, id: key, body: owner) }
    }

    func remove(_ owners: [[UInt8]]) async {
        let keys = owners.map(id)
        try? await store.write { w in for key in keys { try w.deleteResource(kind: Self.kind, id: key) } }
    }
}

extension StorageEngine {
    /// The NFS client records of one listener.
    public func clientRecords(scope: String) -> any ClientRecordStore { StoredClientRecords(store: store, scope: scope) }

    /// A secret made once per store by `make` and kept from then on (the file-handle key, so handles
    /// survive restarts).
    public func secret(_ name: String, orMake make: @Sendable () -> [UInt8]) async throws -> [UInt8] {
        let kind = ResourceKind.Engine.serverSecret
        if let known = try await store.read({ try $0.resource(kind: kind, id: name) }) { return known }
        let made = make()
        try await store.write { try $0.putResource(kind: kind, id: name, body: made) }
        return made
    }
}
