import FileSystem
import NIOCore
import XDR

/// One function per operation, each in its own file. Each decodes its arguments, does its work through
/// the FileSystem and the state tables, and writes its result body (after the status) into `out`.
enum Operations {
    static func dispatch(_ op: OpCode, _ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        switch op {
        case .exchangeID: try exchangeID(&ctx, &d, &out)
        case .createSession: try await createSession(&ctx, &d, &out)
        case .destroySession: try destroySession(&ctx, &d, &out)
        case .destroyClientid: try destroyClientID(&ctx, &d, &out)
        case .bindConnToSession: try bindConnToSession(&ctx, &d, &out)
        case .backchannelCtl: try backchannelCtl(&ctx, &d, &out)
        case .delegreturn: try delegReturn(&ctx, &d, &out)
        case .reclaimComplete: try reclaimComplete(&ctx, &d, &out)
        case .putfh: try await putfh(&ctx, &d, &out)
        case .putrootfh, .putpubfh: try await putrootfh(&ctx, &d, &out)
        case .getfh: try getfh(&ctx, &d, &out)
        case .savefh: try savefh(&ctx, &d, &out)
        case .restorefh: try restorefh(&ctx, &d, &out)
        case .lookup: try await lookup(&ctx, &d, &out)
        case .lookupp: try await lookupp(&ctx, &d, &out)
        case .getattr: try await getattr(&ctx, &d, &out)
        case .setattr: try await setattr(&ctx, &d, &out)
        case .verify: try await verify(&ctx, &d, &out, wantSame: true)
        case .nverify: try await verify(&ctx, &d, &out, wantSame: false)
        case .access: try await access(&ctx, &d, &out)
        case .open: try await open(&ctx, &d, &out)
        case .openDowngrade: try await openDowngrade(&ctx, &d, &out)
        case .close: try await close(&ctx, &d, &out)
        case .read: try await read(&ctx, &d, &out)
        case .write: try await write(&ctx, &d, &out)
        case .commit: try await commit(&ctx, &d, &out)
        case .create: try await create(&ctx, &d, &out)
        case .remove: try await remove(&ctx, &d, &out)
        case .rename: try await rename(&ctx, &d, &out)
        case .link: try await link(&ctx, &d, &out)
        case .readlink: try await readlink(&ctx, &d, &out)
        case .readdir: try await readdir(&ctx, &d, &out)
        case .secinfo: try await secinfo(&ctx, &d, &out)
        case .secinfoNoName: try await secinfoNoName(&ctx, &d, &out)
        case .testStateid: try testStateID(&ctx, &d, &out)
        case .freeStateid: try freeStateID(&ctx, &d, &out)
        case .lock: try await lock(&ctx, &d, &out)
        case .lockt: try await lockt(&ctx, &d, &out)
        case .locku: try await locku(&ctx, &d, &out)
        case .setclientid where ctx.minorVersion == 0: try setClientID(&ctx, &d, &out)
        case .setclientidConfirm where ctx.minorVersion == 0: try await setClientIDConfirm(&ctx, &d, &out)
        case .renew where ctx.minorVersion == 0: try renew(&ctx, &d, &out)
        case .openConfirm where ctx.minorVersion == 0: try openConfirm(&ctx, &d, &out)
        case .releaseLockowner where ctx.minorVersion == 0: try releaseLockOwner(&ctx, &d, &out)
        case .sequence: throw NFSStatus.sequencePos
        case .illegal: throw NFSStatus.opIllegal
        // NFSv4.0-only operations are not part of minor version 1 (RFC 8881 §18.x); the rest are optional
        // features Strata does not offer (directory delegations, pNFS, named attributes, SSV).
        case .setclientid, .setclientidConfirm, .renew, .openConfirm, .releaseLockowner,
             .delegpurge, .openattr, .getDirDelegation, .getdeviceinfo,
             .getdevicelist, .layoutcommit, .layoutget, .layoutreturn, .setSSV, .wantDelegation:
            throw NFSStatus.notsupp
        }
    }

    /// A component4 name: too long is NAMETOOLONG, empty INVAL, "." and ".." BADNAME, "/" or NUL BADCHAR.
    static func name(_ d: inout XDRDecoder) throws -> Name {
        let raw = try d.opaque(max: 8192)
        guard !raw.isEmpty else { throw NFSStatus.inval }
        guard raw.count <= NFSProtocol.maxName else { throw NFSStatus.nametoolong }
        if raw == [0x2E] || raw == [0x2E, 0x2E] { throw NFSStatus.badname }
        if raw.contains(0x2F) || raw.contains(0) { throw NFSStatus.badchar }
        return try Name(raw)
    }

    static func changeInfo(_ change: DirChange, into out: inout ByteBuffer) {
        out.xdrBool(change.atomic)
        out.xdrU64(change.before)
        out.xdrU64(change.after)
    }

    static func encodeDenied(_ denied: LockDenied, into out: inout ByteBuffer) {
        out.xdrU64(denied.start)
        out.xdrU64(denied.length)
        out.xdrU32(denied.write ? LockType.write.rawValue : LockType.read.rawValue)
        out.xdrU64(denied.owner.client)
        out.xdrOpaque(denied.owner.owner)
    }

    /// Encodes the requested attributes of `handle` (fetching file-system-wide figures only if asked).
    static func encodeAttributes(_ ctx: CompoundContext, _ handle: FileHandle, _ attributes: Attributes,
                                 _ requested: AttributeBitmap, into out: inout ByteBuffer) async throws {
        AttributeEncoder.encode(requested, try await attributeSource(ctx, handle, attributes, requested), into: &out)
    }

    /// What `requested` attributes of `handle` are encoded from (a statfs only when one is asked for).
    static func attributeSource(_ ctx: CompoundContext, _ handle: FileHandle, _ attributes: Attributes,
                                _ requested: AttributeBitmap) async throws -> AttributeSource {
        let stats = requested.intersection(Attr.fileSystemWide).isEmpty ? nil : try await ctx.gate.statfs()
        return attributeSource(ctx, handle, attributes, wantsHandle: requested.contains(Attr.filehandle), stats: stats)
    }

    /// The same with the file system's figures already fetched (READDIR fetches them once per call).
    static func attributeSource(_ ctx: CompoundContext, _ handle: FileHandle, _ attributes: Attributes,
                                wantsHandle: Bool, stats: FileSystemStats?) -> AttributeSource {
        // Encoding a handle costs an HMAC: only when the client asked for it (READDIR without it is common).
        AttributeSource(attributes: attributes, handle: handle, handleBytes: wantsHandle ? ctx.server.codec.encode(handle) : [],
                        leaseSeconds: ctx.server.configuration.leaseSeconds, minorVersion: ctx.minorVersion, stats: stats)
    }
}
