import FileSystem
import Foundation
import MetadataStore

/// Where client records live, so a restarted server knows who may reclaim state.
public protocol NFSClientRecords: Sendable {
    func load() async -> Set<[UInt8]>
    func add(_ owner: [UInt8]) async
    func remove(_ owners: [[UInt8]]) async
}

/// Client records in the metadata store, under one scope per listener (each mount target has its own).
public struct StoreClientRecords: NFSClientRecords {
    let store: any MetadataStore
    let scope: String
    static let kind = "nfs-client"

    public init(store: any MetadataStore, scope: String) { self.store = store; self.scope = scope }

    private func id(_ owner: [UInt8]) -> String { scope + "/" + owner.map { String(format: "%02x", $0) }.joined() }

    public func load() async -> Set<[UInt8]> {
        let prefix = scope + "/"
        let rows = (try? await store.read { try $0.resources(kind: Self.kind) }) ?? []
        return Set(rows.filter { $0.id.hasPrefix(prefix) }.map(\.body))
    }

    public func add(_ owner: [UInt8]) async {
        let key = id(owner)
        try? await store.write { try $0.putResource(kind: Self.kind, id: key, body: owner) }
    }

    public func remove(_ owners: [[UInt8]]) async {
        let keys = owners.map(id)
        try? await store.write { w in for key in keys { try w.deleteResource(kind: Self.kind, id: key) } }
    }
}
