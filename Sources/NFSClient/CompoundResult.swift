import NIOCore
import XDR

/// A COMPOUND that did not succeed: the first failing operation and its nfsstat4.
public struct NFSStatusError: Error, CustomStringConvertible, Sendable {
    public let operation: UInt32
    public let status: UInt32
    public var description: String { "operation \(operation) failed with nfsstat4 \(status)" }
}

/// The results of a successful COMPOUND, read in order: each accessor checks the next result's opcode.
public struct CompoundResult {
    var d: XDRDecoder

    init(_ results: XDRDecoder) throws {
        d = results
        let status = try d.u32()
        _ = try d.opaque(max: 1024)
        let count = try d.u32()
        guard status == 0 else {
            // The last result is the failing one; report it.
            var failing: (UInt32, UInt32) = (0, status)
            for _ in 0..<count {
                let op = try d.u32(), s = try d.u32()
                if s != 0 { failing = (op, s); break }
                try skipBody(of: op)
            }
            throw NFSStatusError(operation: failing.0, status: failing.1)
        }
    }

    /// Moves past the next result, which must be `op`.
    public mutating func skip(_ op: UInt32) throws {
        try expect(op)
        try skipBody(of: op)
    }

    mutating func expect(_ op: UInt32) throws {
        let got = try d.u32(), status = try d.u32()
        guard got == op, status == 0 else { throw NFSStatusError(operation: got, status: status) }
    }

    public mutating func fileHandle() throws -> [UInt8] { try expect(10); return try d.opaque(max: 128) }
    public mutating func openStateID() throws -> NFSStateID {
        try expect(18)
        let id = try NFSStateID(decoding: &d)
        try skipOpenRest()
        return id
    }
    /// READ: the data and whether it reached the end of the file.
    public mutating func readData() throws -> (data: ByteBuffer, eof: Bool) {
        try expect(25)
        let eof = try d.bool()
        return (try d.opaqueBuffer(max: 64 << 20), eof)
    }
    /// WRITE: the count written and how stably.
    public mutating func written() throws -> (count: UInt32, committed: UInt32) {
        let reply = try writeReply()
        return (reply.count, reply.committed)
    }
    /// WRITE, with the write verifier (which changes when the server restarts).
    public mutating func writeReply() throws -> (count: UInt32, committed: UInt32, verifier: [UInt8]) {
        try expect(38)
        let count = try d.u32(), committed = try d.u32()
        return (count, committed, try d.fixedOpaque(8))
    }
    /// COMMIT: the write verifier; writes answered UNSTABLE with the same one are durable.
    public mutating func commitVerifier() throws -> [UInt8] {
        try expect(5)
        return try d.fixedOpaque(8)
    }
    /// READDIR: the entries' names and cookies, and eof.
    public mutating func directoryEntries() throws -> (verifier: [UInt8], entries: [(cookie: UInt64, name: String)], eof: Bool) {
        try expect(26)
        let verifier = try d.fixedOpaque(8)
        var entries: [(UInt64, String)] = []
        while try d.bool() {
            let cookie = try d.u64()
            let name = try d.utf8String(max: 1024)
            try skipAttributes()
            entries.append((cookie, name))
        }
        return (verifier, entries, try d.bool())
    }

    private mutating func skipBody(of op: UInt32) throws {
        switch op {
        case 53: _ = try d.fixedOpaque(16); try d.skip(20)                          // SEQUENCE
        case 22, 24, 15, 58, 31, 32: break                                            // PUTFH, PUTROOTFH, LOOKUP, ...
        case 10: _ = try d.opaque(max: 128)                                           // GETFH
        case 9: try skipAttributes()                                                  // GETATTR
        case 4: try d.skip(16)                                                        // CLOSE
        case 5: try d.skip(8)                                                         // COMMIT
        case 28: try d.skip(20)                                                       // REMOVE: change_info4
        case 6: try d.skip(20); try skipBitmap()                                      // CREATE
        case 18: try d.skip(16); try skipOpenRest()                                   // OPEN
        case 38: try d.skip(16)                                                       // WRITE
        case 25: _ = try d.bool(); _ = try d.opaqueBuffer(max: 64 << 20)              // READ
        default: throw RPCClientError("cannot skip the result of operation \(op)")
        }
    }

    private mutating func skipACE() throws { try d.skip(12); _ = try d.opaque(max: 1024) }
    private mutating func skipBitmap() throws { let n = try d.u32(); guard n <= 8 else { throw XDRError.invalid("bitmap") }; try d.skip(Int(n) * 4) }
    private mutating func skipAttributes() throws { try skipBitmap(); _ = try d.opaqueBuffer(max: 1 << 20) }

    /// OPEN4resok after the stateid: change_info4, rflags, attrset, and the delegation union (RFC 8881 §18.16).
    private mutating func skipOpenRest() throws {
        try d.skip(20); _ = try d.u32(); try skipBitmap()
        switch try d.u32() {
        case 1:  // OPEN_DELEGATE_READ
            try d.skip(16); _ = try d.bool(); try skipACE()
        case 2:  // OPEN_DELEGATE_WRITE: with a space limit (by size, or by blocks)
            try d.skip(16); _ = try d.bool()
            _ = try d.u32(); try d.skip(8)  // NFS_LIMIT_SIZE: a u64; NFS_LIMIT_BLOCKS: two u32s
            try skipACE()
        case 3:  // OPEN_DELEGATE_NONE_EXT: why, and for contention or resource a flag
            let why = try d.u32()
            if why == 1 || why == 2 { _ = try d.bool() }
        default: break
        }
    }
}
