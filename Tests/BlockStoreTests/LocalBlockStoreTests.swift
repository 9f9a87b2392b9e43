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

    @Test(arguments: [IOPriority.foreground, .background])
    func aBlockPutInPartsHoldsThemBackToBack(priority: IOPriority) async throws {
        let store = try LocalBlockStore(root: root)
        // More parts than one gather write takes, some empty, some slices of a larger buffer, 2.3 MB in all
        // (so a background put goes out in several calls).
        var whole = ByteBuffer()
        for n in 0..<2_000 { whole.writeRepeatingByte(UInt8(truncatingIfNeeded: n * 7), count: n % 3 == 0 ? 0 : 1 + n % 2_300) }
        var parts: [ByteBuffer] = []
        var at = 0
        for n in 0..<2_000 {
            let length = n % 3 == 0 ? 0 : 1 + n % 2_300
            parts.append(whole.getSlice(at: at, length: length)!)
            at += length
        }
        let key = BlockKey.random()
        try await store.put(key, parts: parts, priority: priority)
        #expect(try await store.get(key, range: nil) == whole)
        #expect(try await store.list() == [BlockInfo(key: key, size: whole.readableBytes)])
    }

    @Test func keysThatCouldNameOtherPathsAreRejected() {
        #expect(BlockKey("../../etc/passwd") == nil)
        #expect(BlockKey("ABCDEF0123456789abcdef0123456789") == nil)
        #expect(BlockKey("0123456789abcdef0123456789abcde") == nil)
        #expect(BlockKey("0123456789abcdef0123456789abcdef") != nil)
    }
}
