@testable import ControlPlane
import FileSystem
import Foundation
import JSONValue
import Testing

/// The NFS data path reads access points and policies from `dataPath`, never from the actor: every change the
/// API makes must be in it by the time the call returns.
@Suite struct DataPathViewTests {
    @Test func accessPointsAndPoliciesReachTheDataPathAsTheAPIChangesThem() async throws {
        let (engine, cp) = try await openControlPlane(at: scratchDirectory())
        let id = try await cp.createFileSystem(["CreationToken": "view"])["FileSystemId"]!.string!
        let storageID = await cp.fileSystems[id]!.storageID
        #expect(cp.dataPath.fileSystems[storageID]?.id == id)
        #expect(cp.dataPath.fileSystems[storageID]?.arn == "arn:aws:elasticfilesystem:\(NetworkConfig.default.region):111122223333:file-system/\(id)")
        #expect(cp.dataPath.fileSystems[storageID]?.policy == nil)
        for _ in 0..<100 where await cp.fileSystems[id]?.lifeCycleState != "available" { try await Task.sleep(for: .milliseconds(10)) }

        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"elasticfilesystem:ClientMount"}]}"#
        _ = try await cp.putFileSystemPolicy(["FileSystemId": .string(id), "Policy": .string(policy)])
        #expect(cp.dataPath.fileSystems[storageID]?.policy != nil)

        let ap = try await cp.createAccessPoint(["ClientToken": "view-ap", "FileSystemId": .string(id),
                                                 "PosixUser": ["Uid": 1001, "Gid": 1002]])["AccessPointId"]!.string!
        for _ in 0..<100 where cp.dataPath.accessPoints[ap] == nil { try await Task.sleep(for: .milliseconds(10)) }
        let entry = try #require(cp.dataPath.accessPoints[ap])
        #expect(entry.storageID == storageID && entry.state.posixUser?["Gid"] == 1002)
        #expect(entry.arn.hasSuffix(":access-point/\(ap)"))

        _ = try await cp.deleteAccessPoint(["AccessPointId": .string(ap)])
        #expect(cp.dataPath.accessPoints[ap] == nil)
        _ = try await cp.deleteFileSystemPolicy(["FileSystemId": .string(id)])
        #expect(cp.dataPath.fileSystems[storageID]?.policy == nil)
        try await engine.close()
    }

    @Test func aRestartedControlPlanePublishesWhatItLoaded() async throws {
        let dir = scratchDirectory()
        var (engine, cp) = try await openControlPlane(at: dir)
        let id = try await cp.createFileSystem(["CreationToken": "reload"])["FileSystemId"]!.string!
        let storageID = await cp.fileSystems[id]!.storageID
        try await engine.close()
        (engine, cp) = try await openControlPlane(at: dir)
        #expect(cp.dataPath.fileSystems[storageID]?.id == id)
        try await engine.close()
    }
}
