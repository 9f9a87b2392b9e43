import FileSystem
import NIOCore
import XDR

extension Operations {
    /// READDIR (RFC 8881 §18.23). Cookies are stable for the life of an entry, so the verifier is constant;
    /// `maxcount` bounds the whole reply and `dircount` the names and cookies.
    static func readdir(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let cookie = try d.u64()
        let verifier = try d.fixedOpaque(8)
        let dircount = Int(try d.u32())
        let maxcount = Int(try d.u32())
        let requested = try AttributeBitmap(decoding: &d)
        if cookie == 1 || cookie == 2 { throw NFSStatus.badCookie }
        if cookie != 0 && verifier != [UInt8](repeating: 0, count: 8) { throw NFSStatus.notSame }
        let dir = try await ctx.currentDirectory()
        // cookieverf (8) + the end of the list (4) + eof (4) + the result status and op already written.
        let budget = min(maxcount, Int(SessionLimits.maxResponseSize)) - 24
        var entries = ByteBuffer()
        var used = 0, names = 0, count = 0
        var after = cookie
        var eof = false
        fill: while true {
            let page = try await ctx.fs.readdir(dir.inode, after: after, limit: 128, as: ctx.caller)
            for entry in page.entries {
                var encoded = ByteBuffer()
                encoded.xdrBool(true)
                encoded.xdrU64(entry.cookie)
                encoded.xdrOpaque(entry.name.bytes)
                try await encodeAttributes(ctx, ctx.handle(entry.attributes.id), entry.attributes, requested, into: &encoded)
                let nameCost = 12 + (entry.name.bytes.count + 3) & ~3
                if used + encoded.readableBytes > budget || (dircount > 0 && count > 0 && names + nameCost > dircount) {
                    break fill
                }
                used += encoded.readableBytes
                names += nameCost
                count += 1
                entries.writeBuffer(&encoded)
                after = entry.cookie
            }
            if page.eof { eof = true; break }
        }
        if count == 0 && !eof { throw NFSStatus.toosmall }
        out.xdrFixedOpaque([UInt8](repeating: 0, count: 8))
        out.writeBuffer(&entries)
        out.xdrBool(false)
        out.xdrBool(eof)
    }
}
