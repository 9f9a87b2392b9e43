@testable import ControlPlane
import Foundation
import Testing

/// Resources are stored as their Codable form; rows written before the control plane had its own types
/// (lifecycle policies, POSIX users and root directories kept as raw EFS JSON, states as strings) must
/// still load.
@Suite struct StoredResourceTests {
    @Test func anAccessPointStoredAsRawEFSJSONLoads() throws {
        let stored = #"""
        {"id":"fsap-0123456789abcdef0","fileSystemID":"fs-0123456789abcdef0","clientToken":"t","tags":[{"Key":"Name","Value":"app"}],
         "posixUser":{"Uid":1001,"Gid":1002,"SecondaryGids":[5]},
         "rootDirectory":{"Path":"/export/app","CreationInfo":{"OwnerUid":1001,"OwnerGid":1002,"Permissions":"750"}},
         "lifeCycleState":"available"}
        """#
        let ap = try JSONDecoder().decode(AccessPointState.self, from: Data(stored.utf8))
        #expect(ap.posixUser == PosixUser(uid: 1001, gid: 1002, secondaryGids: [5]))
        #expect(ap.rootDirectory.components == ["export", "app"] && ap.rootDirectory.creationInfo?.mode == 0o750)
        #expect(ap.lifeCycleState == .available && ap.name == "app")
    }

    @Test func aFileSystemStoredWithRawLifecyclePoliciesLoads() throws {
        let stored = #"""
        {"id":"fs-0123456789abcdef0","storageID":3,"creationToken":"tok","creationTime":1700000000,"lifeCycleState":"available",
         "performanceMode":"generalPurpose","throughputMode":"elastic","encrypted":false,"tags":[],
         "lifecyclePolicies":[{"TransitionToIA":"AFTER_30_DAYS"},{"TransitionToPrimaryStorageClass":"AFTER_1_ACCESS"}],
         "backupStatus":"ENABLED","replicationOverwriteProtection":"ENABLED"}
        """#
        let fs = try JSONDecoder().decode(FileSystemState.self, from: Data(stored.utf8))
        #expect(fs.lifecyclePolicies == [LifecyclePolicy(transitionToIA: "AFTER_30_DAYS"),
                                         LifecyclePolicy(transitionToPrimaryStorageClass: "AFTER_1_ACCESS")])
        #expect(fs.throughputMode == .elastic && fs.backupStatus == .enabled && fs.storageID == 3)
    }
}
