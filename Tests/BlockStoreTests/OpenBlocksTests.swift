@testable import BlockStore
import Foundation
import NIOCore
import Testing

/// Read descriptors are kept open between reads, never past their block's deletion, and never closed
/// under a reader.
@Suite struct OpenBlocksTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("blocks-\(UUID())").path

    /// Descriptors this process holds on files whose path contains `name`.
    func descriptors(naming name: String) -> [String] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0) }
            .filter { $0.contains(name) }
    }

    @Test func aDeletedBlockIsNotFoundAndNoDescriptorKeepsItsFile() async throws {
        let store = try LocalBlockStore(root: root)
        let key = BlockKey.random()
        try await store.put(key, ByteBuffer(string: "kept open between reads"))
        for _ in 0..<3 { #expect(try await store.get(key, range: 5..<9) == ByteBuffer(string: "open")) }
        #expect(descriptors(naming: key.rawValue).count == 1)
        // Readers racing the delete see the block or notFound, nothing else; afterwards no descriptor is left.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<200 {
                        do { #expect(try await store.get(key, range: 0..<4) == ByteBuffer(string: "kept")) }
                        catch { #expect(error as? BlockStoreError == .notFound(key)) }
                    }
                }
            }
            group.addTask { try await Task.sleep(for: .milliseconds(2)); try await store.delete([key]) }
            try await group.waitForAll()
        }
        await #expect(throws: BlockStoreError.notFound(key)) { _ = try await store.get(key, range: nil) }
        #expect(descriptors(naming: key.rawValue).isEmpty)
    }

    @Test func aFullCacheClosesIdleDescriptorsOnlyAndReadersKeepTheirs() throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let cache = OpenBlocks(limit: 4)
        let paths = (0..<10).map { i -> String in
            let path = root + "/b\(i)"
            _ = FileManager.default.createFile(atPath: path, contents: Data("block \(i)".utf8))
            return path
        }
        func first(_ fd: Int32) -> UInt8 { var byte: UInt8 = 0; _ = pread(fd, &byte, 1, 6); return byte }
        let (others, heldByte, cached) = try cache.withDescriptor("b0", path: paths[0]) { held throws -> ([UInt8], UInt8, Int) in
            // While b0 is held, nine more blocks come and go through a cache of four.
            let others = try (1..<10).map { i in try cache.withDescriptor("b\(i)", path: paths[i]) { first($0) } }
            return (others, first(held), cache.count)
        }
        #expect(others == (1..<10).map { UInt8(48 + $0) })
        #expect(heldByte == 48 && cached <= 4)
        cache.forget((0..<10).map { "b\($0)" })
        #expect(cache.count == 0)
        #expect(descriptors(naming: root).isEmpty)
        #expect(throws: OpenBlocks.OpenError.self) { try cache.withDescriptor("gone", path: root + "/gone") { _ in } }
    }
}
