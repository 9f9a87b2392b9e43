import FileSystem
import Foundation
import MetadataStore
import NIOCore

/// A real embedded store (SQLite file + block directory) in a scratch directory.
struct TestVolume {
    let directory: String
    let engine: StorageEngine
    let fs: StrataFileSystem

    /// Small chunks so that multi-chunk cases stay cheap.
    static func make(chunkSize: Int = 16 * 1024, pendingFileLimit: Int = 64 << 20,
                     pendingAge: Duration = StorageEngine.defaultPendingAge) async throws -> TestVolume {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strata-\(UUID())").path
        let engine = try await StorageEngine.openEmbedded(at: directory, pendingFileLimit: pendingFileLimit, pendingAge: pendingAge)
        let fs = try await engine.createFileSystem(chunkSize: chunkSize)
        return TestVolume(directory: directory, engine: engine, fs: fs)
    }

    var root: InodeID { fs.root }

    func problems() async throws -> [String] {
        try await engine.collectGarbage()
        return try await ConsistencyChecker(engine: engine).check()
    }

    @discardableResult
    func file(_ name: String, in dir: InodeID? = nil, mode: UInt32 = 0o644, as caller: Caller = .root,
              contents: [UInt8]? = nil) async throws -> Attributes {
        let made = try await fs.create(dir ?? root, Name(name), .regular, SetAttributes(mode: mode), mode: .guarded, as: caller)
        if let contents { _ = try await fs.write(made.attributes.id, offset: 0, ByteBuffer(bytes: contents), stable: .fileSync) }
        return try await fs.getattr(made.attributes.id)
    }

    @discardableResult
    func mkdir(_ name: String, in dir: InodeID? = nil, mode: UInt32 = 0o755, as caller: Caller = .root) async throws -> Attributes {
        try await fs.create(dir ?? root, Name(name), .directory, SetAttributes(mode: mode), mode: .guarded, as: caller).attributes
    }

    func contents(_ ino: InodeID) async throws -> [UInt8] {
        let size = try await fs.getattr(ino).size
        let (data, eof) = try await fs.read(ino, offset: 0, count: Int(size) + 1)
        precondition(eof)
        return Array(data.readableBytesView)
    }

    func names(_ dir: InodeID? = nil) async throws -> [String] {
        var result: [String] = []
        var cookie: UInt64 = 0
        while true {
            let page = try await fs.readdir(dir ?? root, after: cookie, limit: 100, as: .root)
            result += page.entries.map(\.name.description)
            if page.eof { return result }
            cookie = page.entries.last!.cookie
        }
    }
}

let alice = Caller(uid: 1000, gid: 1000)
let bob = Caller(uid: 1001, gid: 1001, groups: [2000])
let carol = Caller(uid: 1002, gid: 1002)

func pattern(_ seed: Int, _ count: Int) -> [UInt8] {
    var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}
