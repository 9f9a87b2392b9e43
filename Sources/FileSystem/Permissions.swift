import MetadataStore

enum ModeBits {
    static let setuid: UInt32 = 0o4000
    static let setgid: UInt32 = 0o2000
    static let sticky: UInt32 = 0o1000
    static let groupExecute: UInt32 = 0o010
    static let permissions: UInt32 = 0o7777
}

/// POSIX permission checks for a caller identity.
enum Permissions {
    /// Which of read/write/execute the caller has on `inode`.
    static func rights(_ inode: Inode, _ caller: Caller) -> AccessRights {
        if caller.isRoot {
            // Root may read and write anything, and execute a file only if some execute bit is set.
            if inode.type == .directory || inode.mode & 0o111 != 0 { return .all }
            return [.read, .write]
        }
        let bits: UInt32
        if caller.uid == inode.uid { bits = (inode.mode >> 6) & 7 }
        else if caller.isMember(of: inode.gid) { bits = (inode.mode >> 3) & 7 }
        else { bits = inode.mode & 7 }
        return AccessRights(rawValue: UInt8(bits))
    }

    static func require(_ wanted: AccessRights, _ inode: Inode, _ caller: Caller) throws(FSError) {
        guard rights(inode, caller).isSuperset(of: wanted) else { throw .accessDenied }
    }

    /// In a sticky directory only the owner of the entry, the owner of the directory, or root may remove
    /// or rename the entry.
    static func requireMayDelete(_ entry: Inode, in dir: Inode, _ caller: Caller) throws(FSError) {
        try require([.write, .execute], dir, caller)
        if dir.mode & ModeBits.sticky != 0 && !caller.isRoot && caller.uid != entry.uid && caller.uid != dir.uid {
            throw .notPermitted
        }
    }

    static func isOwnerOrRoot(_ inode: Inode, _ caller: Caller) -> Bool { caller.isRoot || caller.uid == inode.uid }
}
