import FileSystem
import MetadataStore
import NIOCore
import Testing

@Suite struct ConcurrencyTests {
    @Test func manyTasksCreatingRenamingAndRemovingInOneDirectoryLeaveItConsistent() async throws {
        let v = try await TestVolume.make()
        let dir = try await v.mkdir("busy")
        let expected = try await withThrowingTaskGroup(of: Set<String>.self) { group in
            for t in 0..<16 {
                group.addTask {
                    var mine: Set<String> = []
                    for i in 0..<40 {
                        let name = "t\(t)-\(i)"
                        _ = try await v.fs.create(dir.id, Name(name), i % 5 == 0 ? .directory : .regular,
                                                  SetAttributes(), mode: .guarded, as: .root)
                        mine.insert(name)
                        if i % 2 == 1 {
                            _ = try await v.fs.rename(dir.id, Name(name), to: dir.id, Name("r-\(name)"), as: .root)
                            mine.remove(name); mine.insert("r-\(name)")
                        }
                        if i % 3 == 2 {
                            let victim = mine.sorted().first!
                            _ = try await v.fs.remove(dir.id, Name(victim), as: .root)
                            mine.remove(victim)
                        }
                        // Everyone also fights over one name: each rename replaces whatever was there.
                        if i % 7 == 3 {
                            _ = try await v.fs.create(dir.id, Name("tmp-\(t)"), .regular, SetAttributes(), mode: .guarded, as: .root)
                            _ = try await v.fs.rename(dir.id, Name("tmp-\(t)"), to: dir.id, Name("contended"), as: .root)
                        }
                    }
                    return mine
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.formUnion($1) }
        }
        let listed = try await v.names(dir.id)
        #expect(Set(listed).count == listed.count)
        #expect(Set(listed) == expected.union(["contended"]))
        let subdirectories = try await withThrowingTaskGroup(of: Bool.self) { group in
            for name in listed { group.addTask { try await v.fs.lookup(dir.id, Name(name), as: .root).type == .directory } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(try await v.fs.getattr(dir.id).nlink == UInt32(2 + subdirectories))
        #expect(try await v.problems() == [])
    }

    @Test func concurrentWritesToOneFileAllLand() async throws {
        let v = try await TestVolume.make(chunkSize: 16 * 1024)
        let f = try await v.file("shared")
        // 64 writers of 1,000 bytes each, many sharing a chunk: each read-modify-write must see the others.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<64 {
                group.addTask {
                    _ = try await v.fs.write(f.id, offset: UInt64(w * 1_000), ByteBuffer(bytes: pattern(w, 1_000)), stable: .fileSync)
                }
            }
            try await group.waitForAll()
        }
        let bytes = try await v.contents(f.id)
        #expect(bytes.count == 64_000)
        for w in 0..<64 { #expect(Array(bytes[(w * 1_000)..<((w + 1) * 1_000)]) == pattern(w, 1_000)) }
        #expect(try await v.problems() == [])
    }
}
