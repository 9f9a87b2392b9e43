import BlockStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif
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

    @Test func aStagedBlockHoldsItsBytesAndSyncsOnlyIfItExists() async throws {
        let store = try LocalBlockStore(root: root)
        let key = BlockKey.random()
        // Larger than one write-back step, in two parts.
        let first = ByteBuffer(repeating: 7, count: 300 << 10), second = bytes("tail")
        try await store.stage(key, parts: [first, second], priority: .background)
        try await store.sync([key])
        var whole = first
        whole.writeImmutableBuffer(second)
        #expect(try await store.get(key, range: nil) == whole)
        #expect(try await store.list() == [BlockInfo(key: key, size: (300 << 10) + 4)])
        // A block that is not there cannot be made durable: the caller must not reference it.
        await #expect(throws: BlockStoreError.self) { try await store.sync([BlockKey.random()]) }
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

    /// Blocks written past the page cache (O_DIRECT, staged in 1 MiB aligned buffers, the last write padded
    /// and the file cut back) read back byte for byte, whatever their length and however they are cut.
    @Test(arguments: [0, 1, 4095, 4096, 4097, (1 << 20) - 1, 1 << 20, (3 << 20) + 12_345])
    func aBlockUnlikelyToBeReadSoonReadsBackExactly(length: Int) async throws {
        let store = try LocalBlockStore(root: root)
        var whole = ByteBuffer()
        for n in 0..<length { whole.writeInteger(UInt8(truncatingIfNeeded: n &* 131 &+ n >> 9)) }
        // Parts of odd sizes (a flush's slices), so staging crosses part boundaries.
        var parts: [ByteBuffer] = []
        var at = 0, n = 0
        while at < length {
            let count = min(length - at, 1 + (n * 7919) % 9_000)
            parts.append(whole.getSlice(at: at, length: count)!)
            at += count; n += 1
        }
        let key = BlockKey.random()
        try await store.put(key, parts: parts, priority: .background, readBack: .unlikely)
        #expect(try residentPages(root + "/" + key.rawValue.prefix(2) + "/" + key.rawValue) == 0)
        #expect(try await store.get(key, range: nil) == whole)
        #expect(try await store.list() == [BlockInfo(key: key, size: length)])
        if length > 10 { #expect(try await store.get(key, range: 3..<10) == whole.getSlice(at: 3, length: 7)) }
    }

    /// How many of the file's pages are in the page cache (mincore over a mapping of it).
    private func residentPages(_ path: String) throws -> Int {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var st = stat()
        guard fd >= 0, fstat(fd, &st) == 0 else { throw POSIXError(.ENOENT) }
        guard st.st_size > 0 else { return 0 }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = Int(st.st_size)
        guard let map = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else { throw POSIXError(.ENOMEM) }
        defer { munmap(map, length) }
        var present = [UInt8](repeating: 0, count: (length + page - 1) / page)
        guard mincore(map, length, &present) == 0 else { throw POSIXError(.EINVAL) }
        return present.filter { $0 & 1 != 0 }.count
    }

    @Test func keysThatCouldNameOtherPathsAreRejected() {
        #expect(BlockKey("../../etc/passwd") == nil)
        #expect(BlockKey("ABCDEF0123456789abcdef0123456789") == nil)
        #expect(BlockKey("0123456789abcdef0123456789abcde") == nil)
        #expect(BlockKey("0123456789abcdef0123456789abcdef") != nil)
    }
}
