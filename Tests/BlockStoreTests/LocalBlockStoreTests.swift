import BlockStore
import Foundation
import NIOCore
import Testing

@Suite struct LocalBlockStoreTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("blocks-\(UUID())").path

    func bytes(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }

    @Test func putThenGetReturnsTheSameBytesWholeAndInRanges() async throws {
        let store = try LocalBlockStore(root: root)
        let key = BlockKey.random()
        try await store.put(key, bytes("hello, block"))
        #expect(try await store.get(key, range: nil) == bytes("hello, block"))
        #expect(try await store.get(key, range: 7..<12) == bytes("block"))
        // A range past the end is cut short rather than padded.
        #expect(try await store.get(key, range: 7..<100) == bytes("block"))
    }

    @Test func aKeyIsWrittenOnlyOnce() async throws {
        let store = try LocalBlockStore(root: root)
        let key = BlockKey.random()
        try await store.put(key, bytes("first"))
        await #expect(throws: BlockStoreError.alreadyExists(key)) { try await store.put(key, bytes("second")) }
        #expect(try await store.get(key, range: nil) == bytes("first"))
    }

    @Test func deleteRemovesBlocksAndIgnoresMissingOnes() async throws {
        let store = try LocalBlockStore(root: root)
        let a = BlockKey.random(), b = BlockKey.random()
        try await store.put(a, bytes("a"))
        try await store.put(b, bytes("bb"))
        try await store.delete([a, BlockKey.random()])
        await #expect(throws: BlockStoreError.notFound(a)) { _ = try await store.get(a, range: nil) }
        #expect(try await store.list() == [BlockInfo(key: b, size: 2)])
    }

    @Test func listReportsEveryBlockWithItsSize() async throws {
        let store = try LocalBlockStore(root: root)
        var expected: Set<BlockInfo> = []
        for n in 0..<50 {
            let key = BlockKey.random()
            try await store.put(key, ByteBuffer(repeating: 7, count: n))
            expected.insert(BlockInfo(key: key, size: n))
        }
        #expect(Set(try await store.list()) == expected)
    }

    @Test func keysThatCouldNameOtherPathsAreRejected() {
        #expect(BlockKey("../../etc/passwd") == nil)
        #expect(BlockKey("ABCDEF0123456789abcdef0123456789") == nil)
        #expect(BlockKey("0123456789abcdef0123456789abcde") == nil)
        #expect(BlockKey("0123456789abcdef0123456789abcdef") != nil)
    }
}
