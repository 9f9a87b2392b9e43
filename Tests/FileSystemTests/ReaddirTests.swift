import FileSystem
import MetadataStore
import Testing

@Suite struct ReaddirTests {
    @Test func pagesListEveryEntryOnceWhileUnrelatedEntriesComeAndGo() async throws {
        let v = try await TestVolume.make()
        let dir = try await v.mkdir("big")
        for i in 0..<600 { try await v.file("f\(i)", in: dir.id) }
        var seen: [String] = []
        var cookie: UInt64 = 0
        var round = 0
        while true {
            let page = try await v.fs.readdir(dir.id, after: cookie, limit: 37, as: .root)
            seen += page.entries.map(\.name.description)
            #expect(page.entries.allSatisfy { $0.attributes.type == .regular })
            if page.eof { break }
            cookie = page.entries.last!.cookie
            // Between pages: add new names and remove ones not yet listed and never to be listed again.
            try await v.file("new\(round)", in: dir.id)
            _ = try await v.fs.unlink(dir.id, Name("f\(599 - round)"), as: .root)
            round += 1
        }
        #expect(Set(seen).count == seen.count, "no entry is returned twice")
        let survivors = (0..<600).map { "f\($0)" }.filter { name in !(0..<round).contains { "f\(599 - $0)" == name } }
        #expect(Set(survivors).isSubset(of: Set(seen)), "no entry that stayed is skipped")
    }

    @Test func anEmptyDirectoryIsAtItsEndAndBadRequestsAreRefused() async throws {
        let v = try await TestVolume.make()
        let page = try await v.fs.readdir(v.root, after: 0, limit: 10, as: .root)
        #expect(page.entries.isEmpty && page.eof)
        let f = try await v.file("f")
        await #expect(throws: FSError.notDirectory) { try await v.fs.readdir(f.id, after: 0, limit: 10, as: .root) }
        await #expect(throws: FSError.invalid) { try await v.fs.readdir(v.root, after: 0, limit: 0, as: .root) }
        // A cookie past every entry is simply the end.
        let past = try await v.fs.readdir(v.root, after: 1 << 60, limit: 10, as: .root)
        #expect(past.entries.isEmpty && past.eof)
    }
}
