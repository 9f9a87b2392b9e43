import NIOCore
import XDR

extension Operations {
    /// TEST_STATEID (RFC 8881 §18.48).
    static func testStateID(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        let ids = try d.array(max: 1024) { (d: inout XDRDecoder) throws(XDRError) in try StateID(decoding: &d) }
        let results = ctx.state.with { t in ids.map { t.test($0) } }
        out.xdrArray(results) { $0.xdrU32($1.rawValue) }
    }

    /// FREE_STATEID (RFC 8881 §18.38).
    static func freeStateID(_ ctx: inout CompoundContext, _ d: inout XDRDecoder, _ out: inout ByteBuffer) throws {
        let id = try ctx.resolve(try StateID(decoding: &d))
        try ctx.state.with { (t: inout StateTables) throws(NFSStatus) in try t.free(id) }
    }
}
