import FileSystem
import Foundation
import MetadataStore
@testable import NFSv4
import NIOCore
import NIOPosix
import ONCRPC
import XDR

/// One operation of a COMPOUND, encoded by hand so tests can say anything, including nonsense.
struct Op: Sendable {
    let code: UInt32
    let args: @Sendable (inout ByteBuffer) -> Void

    func encode(into b: inout ByteBuffer) { b.xdrU32(code); args(&b) }
    static func raw(_ code: UInt32, _ args: @escaping @Sendable (inout ByteBuffer) -> Void = { _ in }) -> Op { Op(code: code, args: args) }
    static func sequence(_ session: [UInt8], _ seq: UInt32, slot: UInt32 = 0, cache: Bool = true) -> Op {
        .raw(53) { $0.xdrFixedOpaque(session); $0.xdrU32(seq); $0.xdrU32(slot); $0.xdrU32(slot); $0.xdrBool(cache) }
    }
    static let putrootfh = Op.raw(24)
    static let getfh = Op.raw(10)
    static let savefh = Op.raw(32)
    static let restorefh = Op.raw(31)
    static let lookupp = Op.raw(16)
    static let commit = Op.raw(5) { $0.xdrU64(0); $0.xdrU32(0) }
    static func putfh(_ fh: [UInt8]) -> Op { .raw(22) { $0.xdrOpaque(fh) } }
    static func lookup(_ name: String) -> Op { .raw(15) { $0.xdrString(name) } }
    static func remove(_ name: String) -> Op { .raw(28) { $0.xdrString(name) } }
    static func getattr(_ bits: [Int]) -> Op { .raw(9) { AttributeBitmap(bits).encode(into: &$0) } }
    static func mkdir(_ name: String) -> Op {
        .raw(6) { $0.xdrU32(2); $0.xdrString(name); AttributeBitmap().encode(into: &$0); $0.xdrU32(0) }
    }
    /// OPEN with CLAIM_NULL (or CLAIM_PREVIOUS when `name` is nil), creating UNCHECKED when `create`.
    static func open(_ name: String?, owner: String, access: UInt32 = 3, deny: UInt32 = 0, create: Bool = false) -> Op {
        .raw(18) { b in
            b.xdrU32(0); b.xdrU32(access); b.xdrU32(deny); b.xdrU64(0); b.xdrString(owner)
            if create { b.xdrU32(1); b.xdrU32(0); AttributeBitmap([Attr.mode]).encode(into: &b); var v = ByteBuffer(); v.xdrU32(0o644); b.xdrOpaque(v) }
            else { b.xdrU32(0) }
            if let name { b.xdrU32(0); b.xdrString(name) } else { b.xdrU32(1); b.xdrU32(0) }
        }
    }
    static func close(_ id: StateID) -> Op { .raw(4) { $0.xdrU32(0); id.encode(into: &$0) } }
    static func read(_ id: StateID, offset: UInt64 = 0, count: UInt32 = 4096) -> Op {
        .raw(25) { id.encode(into: &$0); $0.xdrU64(offset); $0.xdrU32(count) }
    }
    static func write(_ id: StateID, offset: UInt64 = 0, _ data: String, stable: UInt32 = 2) -> Op {
        .raw(38) { id.encode(into: &$0); $0.xdrU64(offset); $0.xdrU32(stable); $0.xdrOpaque(Array(data.utf8)) }
    }
    static func lock(write: Bool, offset: UInt64, length: UInt64, open: StateID, owner: String) -> Op {
        .raw(12) { b in
            b.xdrU32(write ? 2 : 1); b.xdrBool(false); b.xdrU64(offset); b.xdrU64(length)
            b.xdrBool(true); b.xdrU32(0); open.encode(into: &b); b.xdrU32(0); b.xdrU64(0); b.xdrString(owner)
        }
    }
    static func lock(write: Bool, offset: UInt64, length: UInt64, existing: StateID) -> Op {
        .raw(12) { b in
            b.xdrU32(write ? 2 : 1); b.xdrBool(false); b.xdrU64(offset); b.xdrU64(length)
            b.xdrBool(false); existing.encode(into: &b); b.xdrU32(0)
        }
    }
    static func lockt(write: Bool, offset: UInt64, length: UInt64, owner: String) -> Op {
        .raw(13) { $0.xdrU32(write ? 2 : 1); $0.xdrU64(offset); $0.xdrU64(length); $0.xdrU64(0); $0.xdrString(owner) }
    }
    static func locku(_ id: StateID, offset: UInt64, length: UInt64) -> Op {
        .raw(14) { $0.xdrU32(2); $0.xdrU32(0); id.encode(into: &$0); $0.xdrU64(offset); $0.xdrU64(length) }
    }
    static func testStateIDs(_ ids: [StateID]) -> Op { .raw(55) { b in b.xdrArray(ids) { $1.encode(into: &$0) } } }
}

/// The results of a COMPOUND, read in order.
struct CompoundReply {
    var status: UInt32
    var count: UInt32
    var d: XDRDecoder
    var replyBytes: ByteBuffer

    init(_ record: ByteBuffer) throws {
        var parsed = try ParsedReply(record)
        guard parsed.accepted, parsed.stat == 0 else { throw XDRError.invalid("RPC reply not SUCCESS: \(parsed.stat)") }
        status = try parsed.body.u32()
        _ = try parsed.body.opaque(max: 1024)
        count = try parsed.body.u32()
        d = parsed.body
        var body = record
        body.moveReaderIndex(forwardBy: 4)  // without the xid, so replays compare equal across xids
        replyBytes = body
    }

    /// The next result's opcode and status; its body is then read from `d`.
    mutating func next() throws -> (op: UInt32, status: UInt32) { (try d.u32(), try d.u32()) }

    mutating func expectOK(_ op: UInt32) throws {
        let (got, status) = try next()
        guard got == op, status == 0 else { throw XDRError.invalid("op \(got) status \(status), wanted op \(op) OK") }
    }

    mutating func skipSequence() throws { _ = try d.fixedOpaque(16); for _ in 0..<5 { _ = try d.u32() } }
    mutating func stateID() throws -> StateID { try StateID(decoding: &d) }
    mutating func skipOpenRest() throws {
        _ = try d.bool(); _ = try d.u64(); _ = try d.u64(); _ = try d.u32()
        _ = try AttributeBitmap(decoding: &d); _ = try d.u32()
    }
}

/// A client with a session: prepends SEQUENCE (slot 0) to every compound it sends.
final class NFSTestClient: @unchecked Sendable {
    let connection: RPCTestConnection
    var credential: RPCCredential
    var clientID: UInt64 = 0
    var session: [UInt8] = []
    var slotSequence: UInt32 = 0

    init(_ connection: RPCTestConnection, credential: RPCCredential = .sys(AuthSysParameters(uid: 0, gid: 0))) {
        self.connection = connection; self.credential = credential
    }

    func rawCompound(_ ops: [Op], minor: UInt32 = 1, tag: String = "t") async throws -> CompoundReply {
        var args = ByteBuffer()
        args.xdrString(tag); args.xdrU32(minor); args.xdrU32(UInt32(ops.count))
        for op in ops { args.xdrU32(op.code); op.args(&args) }
        return try CompoundReply(try await connection.call(procedure: 1, arguments: args, credential: credential))
    }

    /// EXCHANGE_ID and CREATE_SESSION, then (unless told not to) RECLAIM_COMPLETE on the last slot, as a new
    /// client does before it locks anything (slot 0 is left for the test's own sequence ids).
    /// With `backChannel`, CREATE_SESSION asks for CONN_BACK_CHAN: the server's callbacks come on this
    /// connection and are answered by `connection.callbacks`.
    func establish(owner: String = UUID().uuidString, reclaimComplete: Bool = true, backChannel: Bool = false) async throws {
        var r = try await rawCompound([.raw(42) { b in
            b.xdrFixedOpaque([1, 2, 3, 4, 5, 6, 7, 8]); b.xdrString(owner); b.xdrU32(0); b.xdrU32(0); b.xdrU32(0)
        }])
        try r.expectOK(42)
        clientID = try r.d.u64()
        let sequence = try r.d.u32()
        r = try await rawCompound([.raw(43) { [clientID] b in
            b.xdrU64(clientID); b.xdrU32(sequence); b.xdrU32(backChannel ? 0x2 : 0)
            for _ in 0..<2 { for v: UInt32 in [0, 1 << 20, 1 << 20, 8192, 16, 8] { b.xdrU32(v) }; b.xdrU32(0) }
            b.xdrU32(0x4000_0000); b.xdrU32(1); b.xdrU32(0)
        }])
        try r.expectOK(43)
        session = try r.d.fixedOpaque(16)
        slotSequence = 0
        if reclaimComplete {
            r = try await rawCompound([.sequence(session, 1, slot: 7, cache: false), .raw(58) { $0.xdrBool(false) }])
            try r.expectOK(53); try r.skipSequence(); try r.expectOK(58)
        }
    }

    /// SEQUENCE + ops; the SEQUENCE result is checked and skipped. Like the Linux client, it asks for the
    /// reply to be cached only when told to (a cached reply is bounded by ca_maxresponsesize_cached).
    func call(_ ops: [Op], cache: Bool = false) async throws -> CompoundReply {
        slotSequence += 1
        var r = try await rawCompound([.sequence(session, slotSequence, cache: cache)] + ops)
        try r.expectOK(53)
        try r.skipSequence()
        return r
    }

    /// Opens (creating) `name` in the root and returns the open stateid and the file handle.
    func openFile(_ name: String, owner: String = "owner", access: UInt32 = 3, deny: UInt32 = 0) async throws -> (StateID, [UInt8]) {
        var r = try await call([.putrootfh, .open(name, owner: owner, access: access, deny: deny, create: true), .getfh])
        try r.expectOK(24)
        try r.expectOK(18)
        let id = try r.stateID()
        try r.skipOpenRest()
        try r.expectOK(10)
        return (id, try r.d.opaque(max: 128))
    }
}

/// A real server (SQLite file, block directory, NFS over TCP on a loopback port) for one test.
struct TestServer {
    let engine: StorageEngine
    let fs: StrataFileSystem
    let nfs: NFSServer
    let rpc: RPCServer
    let port: Int
    let group: MultiThreadedEventLoopGroup

    static func start(lease: UInt32 = 90, grace: Double = 0, maxRecordSize: Int = 2 << 20,
                      export: (any NFSExportPolicy)? = nil, writeDelegations: Bool = false) async throws -> TestServer {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nfs-\(UUID())").path
        let engine = try await StorageEngine.openEmbedded(at: dir)
        let fs = try await engine.defaultFileSystem()
        var config = NFSServerConfiguration()
        config.leaseSeconds = lease
        config.graceSeconds = grace
        config.writeDelegations = writeDelegations
        let nfs = NFSServer(fileSystem: fs, epoch: UInt32(engine.store.openCount), handleKey: FileHandleCodec.newKey(),
                            configuration: config, export: export,
                            clientRecords: engine.clientRecords(scope: "test"))
        let rpc = RPCServer(programs: [nfs], maxRecordSize: maxRecordSize)
        let address = try await rpc.start(host: "127.0.0.1", port: 0)
        return TestServer(engine: engine, fs: fs, nfs: nfs, rpc: rpc, port: address.port!,
                          group: MultiThreadedEventLoopGroup(numberOfThreads: 1))
    }

    func handle(_ inode: InodeID, accessPoint: String? = nil) -> [UInt8] {
        nfs.codec.encode(FileHandle(fileSystem: fs.id, inode: inode, accessPoint: accessPoint))
    }

    func connection() async throws -> RPCTestConnection { try await RPCTestConnection.connect(port: port, group: group) }

    func client(uid: UInt32 = 0, backChannel: Bool = false) async throws -> NFSTestClient {
        let c = NFSTestClient(try await connection(), credential: .sys(AuthSysParameters(uid: uid, gid: uid)))
        try await c.establish(backChannel: backChannel)
        return c
    }

    func stop() async {
        await rpc.stop()
        try? await group.shutdownGracefully()
        try? await engine.close()
    }
}
