import Logging
import NIOCore
import ONCRPC
import XDR

/// One operation of a CB_COMPOUND (RFC 8881 §20).
enum CallbackOperation: Sendable {
    case recall(StateID, handle: [UInt8])
    case getattr(handle: [UInt8], AttributeBitmap)

    func encode(into b: inout ByteBuffer) {
        switch self {
        case .recall(let id, let handle):
            b.xdrU32(4); id.encode(into: &b); b.xdrBool(false); b.xdrOpaque(handle)
        case .getattr(let handle, let bits):
            b.xdrU32(3); b.xdrOpaque(handle); bits.encode(into: &b)
        }
    }
}

/// How the server reaches one client: the back channel of an NFSv4.1 session (calls go over the client's
/// own connection, each after a CB_SEQUENCE on the back channel's single slot), or the NFSv4.0 callback
/// address from SETCLIENTID (the server connects to it). Calls are one at a time: Linux offers one back
/// channel slot, and one in flight is all recalls need.
actor CallbackChannel {
    enum Path: Sendable {
        case session(SessionID, RPCConnection, program: UInt32)
        case address(host: String, port: Int, program: UInt32, ident: UInt32)
    }

    static let version: UInt32 = 1
    static let timeout = Duration.seconds(5)
    private let path: Path
    private var connection: RPCConnection?
    private var slotSequence: UInt32 = 0
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ path: Path) {
        self.path = path
        if case .session(_, let connection, _) = path { self.connection = connection }
    }

    private var program: UInt32 {
        switch path {
        case .session(_, _, let program), .address(_, _, let program, _): program
        }
    }

    /// CB_NULL: is anyone listening?
    func probe() async throws {
        try await exclusively {
            _ = try await self.connected().call(program: self.program, version: Self.version, procedure: 0, credential: .none,
                                                arguments: ByteBuffer(), timeout: Self.timeout)
        }
    }

    /// Sends a CB_COMPOUND of `operations` (after CB_SEQUENCE over a session); returns the decoder placed
    /// after the last operation's status, or throws the first failing status.
    func compound(_ operations: [CallbackOperation]) async throws -> XDRDecoder {
        try await exclusively {
            var args = ByteBuffer()
            args.xdrString("")
            var expected: [UInt32] = []
            switch self.path {
            case .session(let session, _, _):
                args.xdrU32(1); args.xdrU32(0); args.xdrU32(UInt32(operations.count + 1))
                self.slotSequence &+= 1
                args.xdrU32(11); args.xdrFixedOpaque(session.bytes); args.xdrU32(self.slotSequence)
                args.xdrU32(0); args.xdrU32(0); args.xdrBool(false); args.xdrU32(0)  // slot 0, no referring calls
                expected.append(11)
            case .address(_, _, _, let ident):
                args.xdrU32(0); args.xdrU32(ident); args.xdrU32(UInt32(operations.count))
            }
            for op in operations {
                op.encode(into: &args)
                switch op { case .recall: expected.append(4); case .getattr: expected.append(3) }
            }
            var d = try await self.connected().call(program: self.program, version: Self.version, procedure: 1,
                                                    credential: .sys(AuthSysParameters(uid: 0, gid: 0)),
                                                    arguments: args, timeout: Self.timeout)
            let status = try d.u32()
            _ = try d.opaque(max: 1024)
            let count = try d.u32()
            for (index, op) in expected.enumerated() where index < count {
                guard try d.u32() == op else { throw RPCCallError("callback reply out of order") }
                let opStatus = try d.u32()
                if opStatus != 0 { throw NFSStatus(rawValue: opStatus) ?? .serverfault }
                if op == 11 { _ = try d.fixedOpaque(16); for _ in 0..<4 { _ = try d.u32() } }
            }
            if status != 0 { throw NFSStatus(rawValue: status) ?? .serverfault }
            return d
        }
    }

    private func connected() async throws -> RPCConnection {
        if let connection, connection.isActive { return connection }
        guard case .address(let host, let port, _, _) = path else { throw RPCCallError("the back channel connection is gone") }
        let made = try await RPCConnection.connect(host: host, port: port, timeout: Self.timeout)
        connection = made
        return made
    }

    /// Runs `body` with no other call of this channel under way.
    private func exclusively<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        while busy { await withCheckedContinuation { waiting.append($0) } }
        busy = true
        defer {
            busy = false
            if !waiting.isEmpty { waiting.removeFirst().resume() }
        }
        return try await body()
    }

    func close() { if case .address = path { connection?.close() } }

    /// Parses an NFSv4.0 universal address ("h1.h2.h3.h4.p1.p2", or IPv6 with the two port octets last).
    static func universalAddress(_ text: String) -> (host: String, port: Int)? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, let high = Int(parts[parts.count - 2]), let low = Int(parts[parts.count - 1]),
              (0...255).contains(high), (0...255).contains(low) else { return nil }
        let host = parts.dropLast(2).joined(separator: ".")
        guard !host.isEmpty else { return nil }
        return (host, high << 8 | low)
    }
}
