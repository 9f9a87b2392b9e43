import MetadataStore

/// setattr: chmod, chown, truncate/extend and times, with POSIX's ownership rules.
extension StrataFileSystem {
    public func setattr(_ ino: InodeID, _ attrs: SetAttributes, as caller: Caller) async throws(FSError) -> Attributes {
        if attrs.isEmpty { return try await getattr(ino) }
        if let size = attrs.size, size > Limits.maxFileSize { throw .fileTooLarge }
        guard attrs.size != nil else { return try await withPending(Attributes(try await applySetattr(ino, attrs, caller))) }
        // A size change rewrites chunk lengths: keep it out of the middle of a write to the same file, and
        // land unstable writes first (they were made before it).
        let inode = try await fileLocks.withLock(ino) { () async throws(FSError) -> Inode in
            try await self.writeBack.flushLocked(ino, through: self)
            return try await self.applySetattr(ino, attrs, caller)
        }
        collector.kick()
        return Attributes(inode)
    }

    private func applySetattr(_ ino: InodeID, _ attrs: SetAttributes, _ caller: Caller) async throws(FSError) -> Inode {
        try await writing { w in
            var inode = try self.node(w, ino)
            try self.apply(attrs, to: &inode, w, caller, now: Timestamp.now())
            try w.updateInode(inode)
            return inode
        }
    }

    private func apply(_ attrs: SetAttributes, to inode: inout Inode, _ w: any MetadataWriter, _ caller: Caller,
                       now: Timestamp) throws {
        let isOwner = Permissions.isOwnerOrRoot(inode, caller)
        if let uid = attrs.uid {
            // Only root gives a file away; an owner may "change" the owner to itself.
            guard caller.isRoot || (caller.uid == inode.uid && uid == inode.uid) else { throw FSError.notPermitted }
        }
        if let gid = attrs.gid {
            guard caller.isRoot || (caller.uid == inode.uid && (gid == inode.gid || caller.isMember(of: gid))) else {
                throw FSError.notPermitted
            }
        }
        if attrs.mode != nil && !isOwner { throw FSError.notPermitted }
        for time in [attrs.atime, attrs.mtime] {
            switch time {
            case .set?: guard isOwner else { throw FSError.notPermitted }
            case .serverTime?:
                guard isOwner || Permissions.rights(inode, caller).contains(.write) else { throw FSError.accessDenied }
            case nil: break
            }
        }
        if let size = attrs.size {
            guard inode.type == .regular else { throw inode.type == .directory ? FSError.isDirectory : FSError.invalid }
            try Permissions.require(.write, inode, caller)
            try truncate(w, &inode, to: size)
            inode.mtime = now
        }
        let ownerChanges = (attrs.uid.map { $0 != inode.uid } ?? false) || (attrs.gid.map { $0 != inode.gid } ?? false)
        if let uid = attrs.uid { inode.uid = uid }
        if let gid = attrs.gid { inode.gid = gid }
        if var mode = attrs.mode {
            mode &= ModeBits.permissions
            if !caller.isRoot && !caller.isMember(of: inode.gid) { mode &= ~ModeBits.setgid }
            inode.mode = mode
        } else if ownerChanges && inode.type != .directory {
            // A file that changes hands loses setuid, and setgid when that means "run as group".
            inode.mode &= ~ModeBits.setuid
            if inode.mode & ModeBits.groupExecute != 0 { inode.mode &= ~ModeBits.setgid }
        }
        switch attrs.atime {
        case .set(let t)?: inode.atime = t
        case .serverTime?: inode.atime = now
        case nil: break
        }
        switch attrs.mtime {
        case .set(let t)?: inode.mtime = t
        case .serverTime?: inode.mtime = now
        case nil: break
        }
        inode.ctime = now
        inode.change &+= 1
    }

    /// Sets a regular file's size inside a transaction: chunks wholly past the end go to garbage, and a
    /// chunk cut in the middle keeps its block with a shorter valid length (so the bytes past the cut read
    /// as zeros if the file grows again).
    func truncate(_ w: any MetadataWriter, _ inode: inout Inode, to size: UInt64) throws {
        if size < inode.size {
            let chunk = UInt64(chunkSize)
            try w.removeChunks(inode.id, from: Int64((size + chunk - 1) / chunk))
            let cut = Int(size % chunk)
            if cut != 0, let last = try w.chunks(inode.id, in: Int64(size / chunk)...Int64(size / chunk)).first,
               last.length > cut {
                var shortened = last
                shortened.length = cut
                shortened.slices = last.slices.compactMap { slice in
                    guard slice.offset < cut else { return nil }
                    var kept = slice
                    kept.length = min(slice.length, cut - slice.offset)
                    return kept
                }
                try w.putChunk(shortened)
            }
        }
        inode.size = size
    }
}
