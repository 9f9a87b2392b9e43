@testable import NFSv4
import NIOCore
import XDR

extension Op {
    /// An NFSv4.0 OPEN creating `name` (UNCHECKED) in the current directory for `owner` of `client`.
    static func open40(_ name: String, client: UInt64, owner: String, seqid: UInt32, access: UInt32 = 3, deny: UInt32 = 0) -> Op {
        .raw(18) { b in
            b.xdrU32(seqid); b.xdrU32(access); b.xdrU32(deny); b.xdrU64(client); b.xdrString(owner)
            b.xdrU32(1); b.xdrU32(0); AttributeBitmap().encode(into: &b); b.xdrU32(0)  // CREATE UNCHECKED
            b.xdrU32(0); b.xdrString(name)
        }
    }
}

/// NFSv4.0 conversations: no session, client ids from SETCLIENTID, owners sequenced by seqid.
extension NFSTestClient {
    /// SETCLIENTID + SETCLIENTID_CONFIRM; returns the client id.
    @discardableResult
    /// `callbackAddress` is a universal address; by default a loopback port nothing listens on (the probe is refused).
    func establish40(owner: String, verifier: [UInt8] = [9, 9, 9, 9, 9, 9, 9, 9],
                     callbackAddress: String = "127.0.0.1.0.9") async throws -> UInt64 {
        var r = try await rawCompound([.raw(35) { b in
            b.xdrFixedOpaque(verifier); b.xdrString(owner)
            b.xdrU32(0x4000_0000); b.xdrString("tcp"); b.xdrString(callbackAddress); b.xdrU32(1)
        }], minor: 0)
        try r.expectOK(35)
        let client = try r.d.u64()
        let confirm = try r.d.fixedOpaque(8)
        r = try await rawCompound([.raw(36) { $0.xdrU64(client); $0.xdrFixedOpaque(confirm) }], minor: 0)
        try r.expectOK(36)
        return client
    }

    /// Opens (creating) and confirms `name` for a new open-owner (seqids 1 and 2); returns the confirmed
    /// stateid and the handle.
    func openConfirmed40(_ name: String, client: UInt64, owner: String, access: UInt32 = 3, deny: UInt32 = 0) async throws -> (StateID, [UInt8]) {
        var r = try await rawCompound([.putrootfh, .open40(name, client: client, owner: owner, seqid: 1, access: access, deny: deny), .getfh], minor: 0)
        try r.expectOK(24); try r.expectOK(18)
        let opened = try r.stateID()
        try r.skipOpenRest()
        try r.expectOK(10)
        let fh = try r.d.opaque(max: 128)
        r = try await rawCompound([.putfh(fh), .raw(20) { opened.encode(into: &$0); $0.xdrU32(2) }], minor: 0)
        try r.expectOK(22); try r.expectOK(20)
        return (try r.stateID(), fh)
    }
}
