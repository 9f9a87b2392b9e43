@testable import ControlPlane
import FileSystem
import Foundation
import NIOCore
import Testing

@Suite struct MeteringTests {
    @Test func sizeInBytesCountsWhatIsStoredPerClass() async throws {
        let (engine, cp) = try await openControlPlane(at: scratchDirectory())
        let id = try await cp.createFileSystem(CreateFileSystemInput(creationToken: "metered")).fileSystemID
        let storageID = await cp.fileSystems[id]!.storageID
        let fs = try #require(try await engine.fileSystem(storageID))
        let file = try await fs.create(fs.root, Name("data"), .regular, SetAttributes(), mode: .guarded, as: .root)
        _ = try await fs.write(file.attributes.id, offset: 0, ByteBuffer(repeating: 7, count: 300_000), stable: .fileSync)
        let size = try await cp.describeFileSystems(id: id).items[0].sizeInBytes
        #expect(size.value == 300_000 && size.valueInStandard == 300_000 && size.valueInIA == 0)
        // Deleting the file system deletes its data.
        try await cp.deleteFileSystem(id)
        #expect(try await cp.describeFileSystems(id: id).items[0].lifeCycleState == .deleting)
        for _ in 0..<100 where await cp.fileSystems[id] != nil { try await Task.sleep(for: .milliseconds(20)) }
        await #expect(throws: APIError.self) { _ = try await cp.describeFileSystems(id: id) }
        #expect(try await engine.fileSystem(storageID) == nil)
        #expect(try await engine.blocks.list().isEmpty)
        try await engine.close()
    }
}
