import FileSystem
import NIOCore
import XDR

extension Operations {
    /// ACCESS (RFC 8881 §18.1): which of READ, LOOKUP, MODIFY, EXTEND, DELETE, EXECUTE the caller has.
    static func access(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) async throws {
        let asked = try d.u32()
        let handle = try ctx.currentHandle()
        let attributes = try await ctx.gate.attributes(of: handle)
        let rights = try await ctx.gate.rights(handle)
        let read: UInt32 = 0x01, lookup: UInt32 = 0x02, modify: UInt32 = 0x04, extend: UInt32 = 0x08
        let delete: UInt32 = 0x10, execute: UInt32 = 0x20
        // Only the bits meaningful for the object's type are supported: LOOKUP and DELETE ask about a
        // directory's entries, EXECUTE about running a file (as knfsd and Ganesha answer).
        let meaningful = attributes.type == .directory ? read | lookup | modify | extend | delete : read | modify | extend | execute
        let supported = asked & meaningful
        var granted: UInt32 = 0
        if rights.contains(.read) { granted |= read }
        if rights.contains(.write) { granted |= modify | extend }
        if attributes.type == .directory {
            if rights.contains(.execute) { granted |= lookup }
            if rights.contains(.write) && rights.contains(.execute) { granted |= delete }
        } else if rights.contains(.execute) {
            granted |= execute
        }
        out.xdrU32(supported)
        out.xdrU32(granted & supported)
    }
}
