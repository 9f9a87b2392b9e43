@testable import ControlPlane
import FileSystem
import Foundation
import JSONValue
import NIOCore
import Testing

@Suite struct MeteringTests {
    @Test func sizeInBytesCountsWhatIsStoredPerClass() async throws {
        let (engine, cp) = try await openControlPlane(at: scratchDirectory())
        let made = try await cp.createFileSystem(["CreationToken": "metered"])
        let id = made["FileSystemId"]!.string!
        let storageID = await cp.fileSystems[id]!.storageID
        let fs = try #require(try await engine.fileSystem(storageID))
        let file = try await fs.create(fs.root, Name("data"), .regular, SetAttributes(), mode: .guarded, as: .root)
        _ = try await fs.write(file.attributes.id, offset: 0, ByteBuffer(repeating: 7, count: 300_000), stable: .fileSync)
        let described = try await cp.describeFileSystems(["FileSystemId": .string(id)])
        let size = described["FileSystems"]!.array![0]["SizeInBytes"]!
        #expect(size["Value"] == 300_000 && size["ValueInStandard"] == 300_000 && size["ValueInIA"] == 0)
        // Deleting the file system deletes its data.
        _ = try await cp.deleteFileSystem(["FileSystemId": .string(id)])
        let deleting = try await cp.describeFileSystems(["FileSystemId": .string(id)])
        #expect(deleting["FileSystems"]!.array![0]["LifeCycleState"] == "deleting")
        for _ in 0..<100 where await cp.fileSystems[id] != nil { try await Task.sleep(for: .milliseconds(20)) }
        await #expect(throws: APIError.self) { _ = try await cp.describeFileSystems(["FileSystemId": .string(id)]) }
        #expect(try await engine.fileSystem(storageID) == nil)
        #expect(try await engine.blocks.list().isEmpty)
        try await engine.close()
    }
}
