import MetadataStore

/// create, link, unlink, rmdir, rename: each one metadata transaction.
extension StrataFileSystem {
    public func create(_ dir: InodeID, _ name: Name, _ kind: NewInode, _ attrs: SetAttributes, mode: CreateMode,
                       as caller: Caller) async throws(FSError) -> CreateResult {
        if case .symlink(let target) = kind {
            guard !target.isEmpty else { throw .invalid }
            guard target.count <= Limits.maxSymlinkTarget else { throw .nameTooLong }
        }
        let result = try await writing { w in
            var parent = try self.directory(w, dir)
            guard parent.nlink > 0 else { throw FSError.noEntry }
            let now = Timestamp.now()
            if let existing = try w.entry(dir, name.bytes) {
                return try self.reuseExisting(w, existing.inode, kind, attrs, mode, parent, caller, now)
            }
            try Permissions.require([.write, .execute], parent, caller)
            var inode = try self.newInode(kind, attrs, in: parent, caller, now)
            if case .exclusive(let verifier) = mode { inode.createVerifier = verifier }
            inode = try w.insertInode(inode)
            _ = try w.insertEntry(dir, name.bytes, inode.id)
            let before = parent.change
            if inode.type == .directory { parent.nlink += 1 }
            Self.touch(&parent, now)
            try w.updateInode(parent)
            return CreateResult(attributes: Attributes(inode), created: true,
                                directory: DirChange(before: before, after: parent.change))
        }
        return result
    }

    /// `create` on a name that exists: open it (unchecked), accept a retransmission (exclusive), or fail.
    private func reuseExisting(_ w: any MetadataWriter, _ ino: InodeID, _ kind: NewInode, _ attrs: SetAttributes,
                               _ mode: CreateMode, _ parent: Inode, _ caller: Caller, _ now: Timestamp) throws -> CreateResult {
        var existing = try node(w, ino)
        let unchanged = DirChange(before: parent.change, after: parent.change)
        switch mode {
        case .guarded:
            throw FSError.exists
        case .exclusive(let verifier):
            guard existing.type == .regular, existing.createVerifier == verifier else { throw FSError.exists }
        case .unchecked:
            guard kind == .regular, existing.type == .regular else { throw FSError.exists }
            if let size = attrs.size, size != existing.size {
                try Permissions.require(.write, existing, caller)
                try truncate(w, &existing, to: size)
                existing.mtime = now; existing.ctime = now; existing.change &+= 1
                try w.updateInode(existing)
            }
        }
        return CreateResult(attributes: Attributes(existing), created: false, directory: unchanged)
    }

    private func newInode(_ kind: NewInode, _ attrs: SetAttributes, in parent: Inode, _ caller: Caller,
                          _ now: Timestamp) throws(FSError) -> Inode {
        let type: FileType
        var major: UInt32 = 0, minor: UInt32 = 0
        var target: [UInt8]?
        switch kind {
        case .regular: type = .regular
        case .directory: type = .directory
        case .symlink(let t): type = .symlink; target = t
        case .fifo: type = .fifo
        case .socket: type = .socket
        case .characterDevice(let ma, let mi): type = .characterDevice; major = ma; minor = mi
        case .blockDevice(let ma, let mi): type = .blockDevice; major = ma; minor = mi
        }
        if (type == .characterDevice || type == .blockDevice) && !caller.isRoot { throw .notPermitted }
        var uid = caller.uid
        // A setgid directory passes its group on to what is created in it (and its setgid bit to subdirectories).
        var gid = parent.mode & ModeBits.setgid != 0 ? parent.gid : caller.gid
        if let wanted = attrs.uid, wanted != uid {
            guard caller.isRoot else { throw .notPermitted }
            uid = wanted
        }
        if let wanted = attrs.gid, wanted != gid {
            guard caller.isRoot || caller.isMember(of: wanted) else { throw .notPermitted }
            gid = wanted
        }
        var mode = (attrs.mode ?? (type == .directory ? 0o755 : 0o644)) & ModeBits.permissions
        if type == .symlink { mode = 0o777 }
        if type == .directory && parent.mode & ModeBits.setgid != 0 { mode |= ModeBits.setgid }
        if type != .directory && mode & ModeBits.setgid != 0 && !caller.isRoot && !caller.isMember(of: gid) {
            mode &= ~ModeBits.setgid
        }
        var inode = Inode(fileSystem: id, type: type, mode: mode, uid: uid, gid: gid,
                          nlink: type == .directory ? 2 : 1, time: now, rdevMajor: major, rdevMinor: minor,
                          symlinkTarget: target, parent: type == .directory ? parent.id : 0)
        if case .set(let t) = attrs.atime { inode.atime = t }
        if case .set(let t) = attrs.mtime { inode.mtime = t }
        // A size given at creation (OPEN's createattrs) makes a file of that size, holes to read as zeros.
        if type == .regular, let size = attrs.size {
            guard size <= Limits.maxFileSize else { throw .fileTooLarge }
            inode.size = size
        }
        return inode
    }

    public func link(_ ino: InodeID, into dir: InodeID, _ name: Name, as caller: Caller) async throws(FSError) -> (Attributes, DirChange) {
        try await writing { w in
            var target = try self.node(w, ino)
            guard target.type != .directory else { throw FSError.notPermitted }
            var parent = try self.directory(w, dir)
            try Permissions.require([.write, .execute], parent, caller)
            guard try w.entry(dir, name.bytes) == nil else { throw FSError.exists }
            guard target.nlink < Limits.maxLinks else { throw FSError.tooManyLinks }
            let now = Timestamp.now()
            _ = try w.insertEntry(dir, name.bytes, ino)
            target.nlink += 1
            target.ctime = now; target.change &+= 1
            try w.updateInode(target)
            let before = parent.change
            Self.touch(&parent, now)
            try w.updateInode(parent)
            return (Attributes(target), DirChange(before: before, after: parent.change))
        }
    }

    public func unlink(_ dir: InodeID, _ name: Name, as caller: Caller) async throws(FSError) -> DirChange {
        try await removeEntry(dir, name, caller, allow: [.regular])
    }

    public func rmdir(_ dir: InodeID, _ name: Name, as caller: Caller) async throws(FSError) -> DirChange {
        try await removeEntry(dir, name, caller, allow: [.directory])
    }

    public func remove(_ dir: InodeID, _ name: Name, as caller: Caller) async throws(FSError) -> DirChange {
        try await removeEntry(dir, name, caller, allow: [.regular, .directory])
    }

    private enum Removable { case regular, directory }

    private func removeEntry(_ dir: InodeID, _ name: Name, _ caller: Caller, allow: Set<Removable>) async throws(FSError) -> DirChange {
        let (change, freedData) = try await writing { w -> (DirChange, Bool) in
            var parent = try self.directory(w, dir)
            guard let entry = try w.entry(dir, name.bytes) else { throw FSError.noEntry }
            var target = try self.node(w, entry.inode)
            if target.type == .directory {
                guard allow.contains(.directory) else { throw FSError.isDirectory }
            } else {
                guard allow.contains(.regular) else { throw FSError.notDirectory }
            }
            try Permissions.requireMayDelete(target, in: parent, caller)
            let now = Timestamp.now()
            try w.removeEntry(dir, name.bytes)
            var deleted = false
            if target.type == .directory {
                guard try !w.hasEntries(target.id) else { throw FSError.notEmpty }
                try w.deleteInode(target.id)
                parent.nlink -= 1
            } else {
                deleted = try self.dropLink(w, &target, now)
            }
            // Only a deleted file with data leaves blocks for the collector.
            let freedData = deleted && target.type == .regular && target.size > 0
            let before = parent.change
            Self.touch(&parent, now)
            try w.updateInode(parent)
            return (DirChange(before: before, after: parent.change), freedData)
        }
        if freedData { collector.kick() }
        return change
    }

    public func rename(_ from: InodeID, _ old: Name, to: InodeID, _ new: Name, as caller: Caller) async throws(FSError) -> RenameResult {
        let result = try await writing { w in try self.rename(w, from, old, to, new, caller) }
        collector.kick()
        return result
    }

    private func rename(_ w: any MetadataWriter, _ from: InodeID, _ old: Name, _ to: InodeID, _ new: Name,
                        _ caller: Caller) throws -> RenameResult {
        var source = try directory(w, from)
        var target = from == to ? source : try directory(w, to)
        guard let sourceEntry = try w.entry(from, old.bytes) else { throw FSError.noEntry }
        var moving = try node(w, sourceEntry.inode)
        try Permissions.requireMayDelete(moving, in: source, caller)
        try Permissions.require([.write, .execute], target, caller)
        let existing = try w.entry(to, new.bytes)
        // POSIX: renaming a name onto another link of the same file does nothing.
        if existing?.inode == moving.id {
            return RenameResult(source: DirChange(before: source.change, after: source.change),
                                target: DirChange(before: target.change, after: target.change))
        }
        let changesParent = moving.type == .directory && from != to
        if changesParent {
            // A directory cannot move into its own subtree.
            var cursor = target
            while true {
                if cursor.id == moving.id { throw FSError.invalid }
                if cursor.parent == cursor.id || cursor.parent == 0 { break }
                cursor = try node(w, cursor.parent)
            }
            // Its `..` entry changes, which needs write permission on the directory itself.
            try Permissions.require(.write, moving, caller)
        }
        let now = Timestamp.now()
        if let existing {
            var replaced = try node(w, existing.inode)
            try Permissions.requireMayDelete(replaced, in: target, caller)
            if moving.type == .directory {
                guard replaced.type == .directory else { throw FSError.notDirectory }
                guard try !w.hasEntries(replaced.id) else { throw FSError.notEmpty }
            } else if replaced.type == .directory {
                throw FSError.isDirectory
            }
            try w.removeEntry(to, new.bytes)
            if replaced.type == .directory {
                try w.deleteInode(replaced.id)
                target.nlink -= 1
            } else {
                try dropLink(w, &replaced, now)
            }
        }
        try w.removeEntry(from, old.bytes)
        _ = try w.insertEntry(to, new.bytes, moving.id)
        moving.ctime = now; moving.change &+= 1
        let sourceBefore = source.change, targetBefore = target.change
        if from == to {
            source.nlink = target.nlink  // a replaced subdirectory was counted on the copy named target
            Self.touch(&source, now)
            try w.updateInode(moving)
            try w.updateInode(source)
            return RenameResult(source: DirChange(before: sourceBefore, after: source.change),
                                target: DirChange(before: sourceBefore, after: source.change))
        }
        if changesParent {
            moving.parent = to
            source.nlink -= 1
            target.nlink += 1
        }
        try w.updateInode(moving)
        Self.touch(&source, now)
        Self.touch(&target, now)
        try w.updateInode(source)
        try w.updateInode(target)
        return RenameResult(source: DirChange(before: sourceBefore, after: source.change),
                            target: DirChange(before: targetBefore, after: target.change))
    }

    /// One name fewer for a non-directory; the inode and its data go when the last name does, unless a
    /// client holds the file open: then it stays, nameless, until `releaseOpen` (or the next start).
    /// Returns whether the inode was deleted.
    @discardableResult
    func dropLink(_ w: any MetadataWriter, _ inode: inout Inode, _ now: Timestamp) throws -> Bool {
        inode.nlink -= 1
        if inode.nlink == 0 && !openFiles.keepIfOpen(inode.id) {
            try w.deleteInode(inode.id)
            return true
        }
        inode.ctime = now; inode.change &+= 1
        try w.updateInode(inode)
        return false
    }

    public func retainOpen(_ ino: InodeID) { openFiles.retain(ino) }

    /// The decision is made inside a write transaction: those are serialised with the removals that check
    /// `isOpen`, so a nameless file is deleted by exactly one of them, whichever runs last.
    public func releaseOpen(_ ino: InodeID) async {
        guard openFiles.release(ino) else { return }
        let openFiles = openFiles
        do {
            let deleted = try await writing { w -> Bool in
                guard !openFiles.isOpen(ino), let inode = try w.inode(ino), inode.nlink == 0,
                      inode.type != .directory else { return false }
                try w.deleteInode(ino)
                return true
            }
            if deleted { collector.kick() }
        } catch {
            logger.error("could not delete removed file \(ino) after its last close: \(error); the next start will")
        }
    }

    /// A directory's content changed.
    static func touch(_ dir: inout Inode, _ now: Timestamp) {
        dir.mtime = now; dir.ctime = now; dir.change &+= 1
    }
}
