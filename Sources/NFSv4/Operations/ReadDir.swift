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
        if !requested.intersection(Attr.writeOnly).isEmpty { throw NFSStatus.inval }  // as GETATTR
        if cookie == 1 || cookie == 2 { throw NFSStatus.badCookie }
        if cookie != 0 && verifier != [UInt8](repeating: 0, count: 8) { throw NFSStatus.notSame }
        let dir = try await ctx.currentDirectory()
        // cookieverf (8) + the end of the list (4) + eof (4) + the result status and op already written.
        let budget = min(maxcount, Int(SessionLimits.maxResponseSize)) - 24
        // The entries go straight into the reply, after the verifier; one that does not fit is cut off again
        // (there is room for the largest entry past the budget).
        out.xdrFixedOpaque([UInt8](repeating: 0, count: 8))
        out.reserveCapacity(minimumWritableBytes: budget + 8 + 2048)
        var used = 0, names = 0, count = 0
        var after = cookie
        var eof = false
        // Worked out once per call: which attributes are answered, and the file system's figures if asked.
        let returned = AttributeEncoder.returned(requested, minorVersion: ctx.minorVersion)
        let bits = returned.bits
        let wantsHandle = returned.contains(Attr.filehandle)
        let stats = returned.intersection(Attr.fileSystemWide).isEmpty ? nil : try await ctx.gate.statfs()
        // Entries take 40 bytes and up: ask for about as many as the reply could hold, and a few more, so that
        // a reply of entries that size is one transaction (a page that just fits took a second for its eof).
        var pageSize = max(16, min(4096, budget / 48 + 8))
        fill: while true {
            let page = try await ctx.gate.readdir(dir, after: after, limit: pageSize)
            for entry in page.entries {
                let mark = out.writerIndex
                let source = attributeSource(ctx, ctx.gate.handle(entry.attributes.id, from: dir), entry.attributes,
                                             wantsHandle: wantsHandle, stats: stats)
                // The whole entry in one write: bool, cookie, name and fattr4.
                out.xdrRaw(maximum: 16 + entry.name.bytes.count + AttributeEncoder.maximumBytes(source)) { w in
                    w.xdrBool(true)
                    w.xdrU64(entry.cookie)
                    w.xdrOpaque(entry.name.bytes)
                    AttributeEncoder.encode(returned, bits: bits, source, into: &w)
                }
                let size = out.writerIndex - mark
                let nameCost = 12 + (entry.name.bytes.count + 3) & ~3
                if used + size > budget || (dircount > 0 && count > 0 && names + nameCost > dircount) {
                    out.moveWriterIndex(to: mark)
                    break fill
                }
                used += size
                names += nameCost
                count += 1
                after = entry.cookie
            }
            if page.eof { eof = true; break }
            // Then about as many as the rest of the reply holds at the size entries have had so far (reading
            // a full page for the last few that fit cost as much as the reply itself).
            pageSize = max(16, min(4096, (budget - used) / max(1, used / max(1, count)) + 8))
        }
        if count == 0 && !eof { throw NFSStatus.toosmall }
        out.xdrBool(false)
        out.xdrBool(eof)
    }
}
