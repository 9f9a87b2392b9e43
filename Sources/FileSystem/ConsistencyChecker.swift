import BlockStore
import MetadataStore

/// Checks the invariants a crash or a bug could break, and says what is wrong in words:
/// entries point at live inodes of the same file system; nlink equals the names of a file (for a
/// directory: 2 plus its subdirectories); every directory but the root has exactly one name and its parent
/// field says where; chunks lie inside the file and their blocks exist and are long enough; every block on
/// disk is referenced by a chunk or waiting in the garbage list.
public struct ConsistencyChecker: Sendable {
    public let engine: StorageEngine
    public init(engine: StorageEngine) { self.engine = engine }

    public func check() async throws -> [String] {
        var problems: [String] = []
        let stored = try await engine.blocks.list()
        let sizes = Dictionary(stored.map { ($0.key.rawValue, $0.size) }, uniquingKeysWith: max)
        for record in try await engine.fileSystems() {
            problems += try await check(record, blockSizes: sizes)
        }
        let referenced = try await engine.store.read { try $0.referencedBlocks() }
        for block in stored where !referenced.contains(block.key.rawValue) {
            problems.append("block \(block.key) is on disk but referenced by nothing")
        }
        return problems
    }

    private func check(_ fs: FileSystemRecord, blockSizes: [String: Int]) async throws -> [String] {
        try await engine.store.read { r in
            var problems: [String] = []
            var inodes: [InodeID: Inode] = [:]
            try r.forEachInode(fs.id) { inodes[$0.id] = $0; return true }
            var names: [InodeID: Int] = [:]
            var subdirectories: [InodeID: UInt32] = [:]
            var holder: [InodeID: InodeID] = [:]
            try r.forEachEntry(fs.id) { e in
                guard let target = inodes[e.inode] else {
                    problems.append("entry \(String(decoding: e.name, as: UTF8.self)) in \(e.directory) names missing inode \(e.inode)")
                    return true
                }
                guard inodes[e.directory]?.type == .directory else {
                    problems.append("entry in \(e.directory), which is not a directory")
                    return true
                }
                names[e.inode, default: 0] += 1
                if target.type == .directory {
                    subdirectories[e.directory, default: 0] += 1
                    holder[e.inode] = e.directory
                }
                return true
            }
            for inode in inodes.values {
                let count = names[inode.id] ?? 0
                if inode.type == .directory {
                    let expected = 2 + (subdirectories[inode.id] ?? 0)
                    if inode.nlink != expected { problems.append("directory \(inode.id) has nlink \(inode.nlink), expected \(expected)") }
                    if inode.id == fs.root {
                        if count != 0 { problems.append("root directory has \(count) names") }
                    } else {
                        if count != 1 { problems.append("directory \(inode.id) has \(count) names") }
                        if let h = holder[inode.id], h != inode.parent {
                            problems.append("directory \(inode.id) says its parent is \(inode.parent) but lives in \(h)")
                        }
                    }
                } else {
                    if count == 0 && inode.nlink == 0 {
                        problems.append("inode \(inode.id) was removed while open and never closed (recovery deletes it)")
                    } else if count == 0 {
                        problems.append("inode \(inode.id) has no name (orphan)")
                    }
                    if inode.nlink != UInt32(count) { problems.append("inode \(inode.id) has nlink \(inode.nlink) but \(count) names") }
                }
            }
            try r.forEachChunk(fs.id) { c in
                guard let inode = inodes[c.inode] else { problems.append("chunk of missing inode \(c.inode)"); return true }
                let start = UInt64(c.index) * UInt64(fs.chunkSize)
                if c.length <= 0 || c.length > fs.chunkSize { problems.append("chunk \(c.inode)/\(c.index) has length \(c.length)") }
                if start + UInt64(max(0, c.length)) > inode.size {
                    problems.append("chunk \(c.inode)/\(c.index) reaches past the file's size \(inode.size)")
                }
                if let size = blockSizes[c.block] {
                    if size < c.blockOffset + c.length {
                        problems.append("block \(c.block) holds \(size) bytes, chunk needs \(c.length) at \(c.blockOffset)")
                    }
                } else {
                    problems.append("chunk \(c.inode)/\(c.index) names missing block \(c.block)")
                }
                for slice in c.slices {
                    if slice.length <= 0 || slice.end > c.length {
                        problems.append("slice of chunk \(c.inode)/\(c.index) covers \(slice.offset)..<\(slice.end), chunk holds \(c.length)")
                    }
                    if (blockSizes[slice.block] ?? -1) < slice.blockOffset + slice.length {
                        problems.append("slice of chunk \(c.inode)/\(c.index) names block \(slice.block), missing or too short")
                    }
                }
                return true
            }
            return problems
        }
    }
}
