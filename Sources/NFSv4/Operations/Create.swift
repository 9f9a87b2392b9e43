import FileSystem
import NIOCore
import XDR

extension Operations {
    /// CREATE (RFC 8881 §18.4): directories, symlinks and special files; regular files come from OPEN.
    static func create(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let kind: NewInode
        switch try d.u32() {
        case 2: kind = .directory
        case 3: kind = .blockDevice(major: try d.u32(), minor: try d.u32())
        case 4: kind = .characterDevice(major: try d.u32(), minor: try d.u32())
        case 5:
            let target = try d.opaque(max: 64 * 1024)
            guard target.count <= Limits.maxSymlinkTarget else { throw NFSStatus.nametoolong }
            kind = .symlink(target: target)
        case 6: kind = .socket
        case 7: kind = .fifo
        default: throw NFSStatus.badtype
        }
        let name = try name(&d)
        let (attrs, bitmap) = try AttributeDecoder.settable(&d)
        let dir = try await ctx.currentDirectory()
        let (made, result) = try await ctx.gate.create(dir, name, kind, attrs, mode: .guarded)
        ctx.current = made
        ctx.currentStateID = nil
        changeInfo(result.directory, into: &out)
        bitmap.encode(into: &out)
    }
}
