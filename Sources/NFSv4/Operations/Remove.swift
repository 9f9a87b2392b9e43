import FileSystem
import NIOCore
import XDR

extension Operations {
    /// REMOVE (RFC 8881 §18.25): files and empty directories alike.
    static func remove(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let name = try name(&d)
        let dir = try await ctx.currentDirectory()
        try await recallDelegations(ctx, of: name, in: dir)
        changeInfo(try await ctx.gate.remove(dir, name), into: &out)
    }

    /// Before `name` in `dir` is removed or renamed (over): other clients' delegations of the file it names
    /// are recalled, and the request waits (DELAY) for them. Only looked up while any delegation exists.
    static func recallDelegations(_ ctx: CompoundContext, of name: Name, in dir: FileHandle) async throws {
        guard ctx.state.mayHaveDelegations else { return }
        guard let (file, _) = try? await ctx.gate.lookup(dir, name) else { return }
        try ctx.server.recallConflicting(file.inode, client: ctx.requester, write: true)
    }
}
