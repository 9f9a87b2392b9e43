import FileSystem
import MetadataStore
import NIOCore
import XDR

extension Operations {
    /// LOOKUP: the current handle becomes the named child. At the root, the name of one of the file
    /// system's access points (`mount HOST:/fsap-... /mnt`) enters that access point's root directory.
    static func lookup(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let name = try name(&d)
        let dir = try await ctx.currentDirectory()
        if dir.inode == ctx.fs.root, dir.accessPoint == nil, let export = ctx.server.export,
           name.description.hasPrefix("fsap-"),
           let accessPoint = await export.accessPoint(name.description, fileSystem: ctx.fs.id) {
            let root = try await accessPointRoot(ctx, accessPoint)
            ctx.current = FileHandle(fileSystem: ctx.fs.id, inode: root, accessPoint: accessPoint.id)
            ctx.currentStateID = nil
            await ctx.refresh()
            try ctx.requireMount()
            return
        }
        let found = try await ctx.fs.lookup(dir.inode, name, as: ctx.caller)
        ctx.current = ctx.handle(found.id)
        ctx.currentStateID = nil
    }

    /// LOOKUPP: the parent directory; there is none above the root, nor above an access point's root.
    static func lookupp(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let dir = try await ctx.currentDirectory()
        guard dir.inode != ctx.fs.root else { throw NFSStatus.noent }
        if let id = dir.accessPoint, let root = ctx.server.accessPointRoots.withLock({ $0[id] }), root == dir.inode {
            throw NFSStatus.noent
        }
        let parent = try await ctx.fs.lookupParent(dir.inode, as: ctx.caller)
        ctx.current = ctx.handle(parent.id)
        ctx.currentStateID = nil
    }

    /// Finds the access point's root directory, creating missing components with its CreationInfo; without
    /// CreationInfo a missing root fails the mount (NOENT), as on EFS.
    static func accessPointRoot(_ ctx: CompoundContext, _ ap: AccessPointExport) async throws -> InodeID {
        if let known = ctx.server.accessPointRoots.withLock({ $0[ap.id] }), (try? await ctx.fs.getattr(known)) != nil {
            return known
        }
        var inode = ctx.fs.root
        for component in ap.rootPath {
            let name = try Name(component)
            if let found = try? await ctx.fs.lookup(inode, name, as: .root) {
                guard found.type == .directory else { throw NFSStatus.notdir }
                inode = found.id
            } else {
                guard let creation = ap.creation else { throw NFSStatus.noent }
                let made = try await ctx.fs.create(inode, name, .directory,
                                                   SetAttributes(mode: creation.mode, uid: creation.uid, gid: creation.gid),
                                                   mode: .unchecked, as: .root)
                inode = made.attributes.id
            }
        }
        let root = inode
        ctx.server.accessPointRoots.withLock { $0[ap.id] = root }
        return root
    }
}
