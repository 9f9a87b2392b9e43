import Foundation
import MetadataStore

/// Every metadata engine the conformance suite runs against. PostgreSQL joins when its engine lands.
enum StoreEngine: String, CaseIterable {
    case sqlite

    func open(_ directory: String) throws -> any MetadataStore {
        switch self {
        case .sqlite: try SQLiteMetadataStore(directory: directory)
        }
    }

    static func scratch() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("meta-\(UUID())").path
    }
}


func sampleInode(_ fs: FileSystemID, _ type: FileType = .regular, mode: UInt32 = 0o644) -> Inode {
    Inode(fileSystem: fs, type: type, mode: mode, uid: 1000, gid: 1000, nlink: type == .directory ? 2 : 1,
          time: Timestamp(nanoseconds: 1_700_000_000_123_456_789))
}

func makeFileSystem(_ store: any MetadataStore) async throws -> FileSystemRecord {
    try await store.write { try $0.createFileSystem(root: sampleInode(0, .directory, mode: 0o755), chunkSize: 1 << 20) }
}

struct Boom: Error {}
