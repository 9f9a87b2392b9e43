@testable import ControlPlane
import FileSystem
import Foundation
import Testing

/// The NFS data path reads access points and policies from `dataPath`, never from the actor, and so does
/// API authorization (tags, mount targets): every change the API makes must be in it by the time the call
/// returns.
@Suite struct DataPathViewTests {
    @Test func accessPointsAndPoliciesReachTheDataPathAsTheAPIChangesThem() async throws {
        let (engine, cp) = try await openControlPlane(at: scratchDirectory())
        let id = try await cp.createFileSystem(CreateFileSystemInput(creationToken: "view")).fileSystemID
        let storageID = await cp.fileSystems[id]!.storageID
        #expect(cp.dataPath.fileSystem(storageID: storageID)?.id == id)
        #expect(cp.dataPath.fileSystems[id]?.arn == "arn:aws:elasticfilesystem:\(NetworkConfig.default.region):111122223333:file-system/\(id)")
        #expect(cp.dataPath.fileSystems[id]?.policy == nil)
        #expect(cp.dataPath.clientAccess(storageID: storageID, accessPointARN: nil) == (true, true, true))
        for _ in 0..<100 where await cp.fileSystems[id]?.lifeCycleState != .available { try await Task.sleep(for: .milliseconds(10)) }

        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"elasticfilesystem:ClientMount"}]}"#
        _ = try await cp.putFileSystemPolicy(id, policy: policy)
        #expect(cp.dataPath.fileSystems[id]?.policy != nil)
        // The policy allows mounting only: no writes, root squashed.
        #expect(cp.dataPath.clientAccess(storageID: storageID, accessPointARN: nil) == (true, false, false))

        let ap = try await cp.createAccessPoint(CreateAccessPointInput(clientToken: "view-ap", fileSystemID: id,
                                                                       posixUser: PosixUser(uid: 1001, gid: 1002))).accessPointID
        #expect(cp.dataPath.accessPoint(ap, storageID: storageID) == nil)  // still creating
        for _ in 0..<100 where cp.dataPath.accessPoint(ap, storageID: storageID) == nil { try await Task.sleep(for: .milliseconds(10)) }
        let entry = try #require(cp.dataPath.accessPoint(ap, storageID: storageID))
        #expect(entry.storageID == storageID && entry.posixUser?.gid == 1002 && entry.rootDirectory.path == "/")
        #expect(entry.arn.hasSuffix(":access-point/\(ap)"))
        #expect(cp.dataPath.accessPoint(ap, storageID: storageID + 1) == nil)

        try await cp.tag(ResourceReference(kind: .accessPoint, id: ap), [Tag(key: "team", value: "a")])
        #expect(cp.dataPath.accessPoints[ap]?.tags == [Tag(key: "team", value: "a")])

        try await cp.deleteAccessPoint(ap)
        #expect(cp.dataPath.accessPoints[ap] == nil)
        try await cp.deleteFileSystemPolicy(id)
        #expect(cp.dataPath.fileSystems[id]?.policy == nil)
        try await engine.close()
    }

    @Test func mountTargetsAreInTheViewForAuthorization() async throws {
        let (engine, cp) = try await openControlPlane(at: scratchDirectory())
        let id = try await cp.createFileSystem(CreateFileSystemInput(creationToken: "mt")).fileSystemID
        for _ in 0..<100 where await cp.fileSystems[id]?.lifeCycleState != .available { try await Task.sleep(for: .milliseconds(10)) }
        let mt = try await cp.createMountTarget(CreateMountTargetInput(fileSystemID: id, subnetID: NetworkConfig.default.subnets[0].id))
        #expect(cp.dataPath.mountTargetFileSystems[mt.mountTargetID] == id)
        try await cp.deleteMountTarget(mt.mountTargetID)
        #expect(cp.dataPath.mountTargetFileSystems[mt.mountTargetID] == nil)
        try await engine.close()
    }

    @Test func aRestartedControlPlanePublishesWhatItLoaded() async throws {
        let dir = scratchDirectory()
        var (engine, cp) = try await openControlPlane(at: dir)
        let id = try await cp.createFileSystem(CreateFileSystemInput(creationToken: "reload")).fileSystemID
        let storageID = await cp.fileSystems[id]!.storageID
        try await engine.close()
        (engine, cp) = try await openControlPlane(at: dir)
        #expect(cp.dataPath.fileSystem(storageID: storageID)?.id == id)
        try await engine.close()
    }
}
