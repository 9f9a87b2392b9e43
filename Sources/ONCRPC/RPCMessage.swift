import NIOCore
import XDR

/// RFC 5531 constants.
public enum AuthFlavor {
    public static let none: UInt32 = 0
    public static let sys: UInt32 = 1
}

public enum AuthStat: UInt32, Sendable {
    case ok = 0, badCredential = 1, rejectedCredential = 2, badVerifier = 3, rejectedVerifier = 4, tooWeak = 5
}

/// AUTH_SYS credentials (RFC 5531 appendix A).
public struct AuthSysParameters: Sendable, Hashable {
    public var stamp: UInt32
    public var machineName: [UInt8]
    public var uid: UInt32
    public var gid: UInt32
    public var gids: [UInt32]

    public init(stamp: UInt32 = 0, machineName: [UInt8] = [], uid: UInt32, gid: UInt32, gids: [UInt32] = []) {
        self.stamp = stamp; self.machineName = machineName; self.uid = uid; self.gid = gid; self.gids = gids
    }

    /// Decodes the credential's body, a slice of the call's record (not copied out of it first).
    init(decoding body: ByteBuffer) throws(XDRError) {
        var d = XDRDecoder(body)
        stamp = try d.u32()
        machineName = try d.opaque(max: 255)
        uid = try d.u32()
        gid = try d.u32()
        gids = try d.array(max: 16) { (d: inout XDRDecoder) throws(XDRError) in try d.u32() }
    }

    public func encoded() -> [UInt8] {
        var b = ByteBuffer()
        b.xdrU32(stamp); b.xdrOpaque(machineName); b.xdrU32(uid); b.xdrU32(gid)
        b.xdrArray(gids) { $0.xdrU32($1) }
        return Array(b.readableBytesView)
    }
}

public enum RPCCredential: Sendable, Hashable {
    case none
    case sys(AuthSysParameters)

    /// The credential and the AUTH_NONE verifier, as a call carries them after its procedure number.
    public func encodeWithVerifier(into b: inout ByteBuffer) {
        switch self {
        case .none: b.xdrU32(AuthFlavor.none); b.xdrU32(0)
        case .sys(let p): b.xdrU32(AuthFlavor.sys); b.xdrOpaque(p.encoded())
        }
        b.xdrU32(AuthFlavor.none); b.xdrU32(0)
    }
}

public struct RPCCall: Sendable {
    public var xid: UInt32
    public var program: UInt32
    public var version: UInt32
    public var procedure: UInt32
    public var credential: RPCCredential
    /// The procedure's arguments: the rest of the record.
    public var arguments: ByteBuffer
}

/// What the server answers a call with (RFC 5531 §9).
public enum RPCReply: Sendable {
    case success(ByteBuffer)
    /// Results followed by more bytes sent as they are (a READ's data goes out without being copied).
    case successWithTail(ByteBuffer, [ByteBuffer])
    case programUnavailable
    case programMismatch(low: UInt32, high: UInt32)
    case procedureUnavailable
    case garbageArguments
    case systemError
    case rpcMismatch(low: UInt32, high: UInt32)
    case authError(AuthStat)

    /// Appends the reply header (everything up to the results; `success` results follow it) to `b`.
    public func writeHeader(xid: UInt32, into b: inout ByteBuffer) {
        b.xdrU32(xid)
        b.xdrU32(1)  // REPLY
        switch self {
        case .rpcMismatch(let low, let high):
            b.xdrU32(1); b.xdrU32(0); b.xdrU32(low); b.xdrU32(high)  // MSG_DENIED, RPC_MISMATCH
            return
        case .authError(let stat):
            b.xdrU32(1); b.xdrU32(1); b.xdrU32(stat.rawValue)        // MSG_DENIED, AUTH_ERROR
            return
        default: break
        }
        b.xdrU32(0)                      // MSG_ACCEPTED
        b.xdrU32(AuthFlavor.none); b.xdrU32(0)  // verifier: AUTH_NONE
        switch self {
        case .success, .successWithTail: b.xdrU32(0)
        case .programUnavailable: b.xdrU32(1)
        case .programMismatch(let low, let high): b.xdrU32(2); b.xdrU32(low); b.xdrU32(high)
        case .procedureUnavailable: b.xdrU32(3)
        case .garbageArguments: b.xdrU32(4)
        case .systemError: b.xdrU32(5)
        case .rpcMismatch, .authError: break
        }
    }
}

public enum RPCParseOutcome: Sendable {
    case call(RPCCall)
    /// Answer at once with this (the call is unacceptable as a whole).
    case reject(xid: UInt32, RPCReply)
    /// Not a call, or too short to carry an xid: nothing can be answered.
    case ignore
}

extension RPCCall {
    /// Parses a CALL message (RFC 5531 §9). Credentials other than AUTH_NONE and AUTH_SYS get AUTH_BADCRED.
    public static func parse(_ record: ByteBuffer) -> RPCParseOutcome {
        var d = XDRDecoder(record)
        guard let xid = try? d.u32() else { return .ignore }
        guard let type = try? d.u32(), type == 0 else { return .ignore }
        do {
            let rpcVersion = try d.u32()
            guard rpcVersion == 2 else { return .reject(xid: xid, .rpcMismatch(low: 2, high: 2)) }
            let program = try d.u32(), version = try d.u32(), procedure = try d.u32()
            let flavor = try d.u32()
            let body = try d.opaqueBuffer(max: 400)
            _ = try d.u32()                    // verifier flavor
            _ = try d.opaqueBuffer(max: 400)   // verifier body
            let credential: RPCCredential
            switch flavor {
            case AuthFlavor.none: credential = .none
            case AuthFlavor.sys:
                guard let params = try? AuthSysParameters(decoding: body) else { return .reject(xid: xid, .authError(.badCredential)) }
                credential = .sys(params)
            default:
                return .reject(xid: xid, .authError(.badCredential))
            }
            return .call(RPCCall(xid: xid, program: program, version: version, procedure: procedure,
                                 credential: credential, arguments: d.buffer))
        } catch {
            return .reject(xid: xid, .garbageArguments)
        }
    }

    /// Encodes a call (for clients and tests).
    public static func encode(xid: UInt32, program: UInt32, version: UInt32, procedure: UInt32,
                              credential: RPCCredential, arguments: ByteBuffer) -> ByteBuffer {
        var b = ByteBuffer()
        b.xdrU32(xid); b.xdrU32(0); b.xdrU32(2); b.xdrU32(program); b.xdrU32(version); b.xdrU32(procedure)
        credential.encodeWithVerifier(into: &b)
        var args = arguments
        b.writeBuffer(&args)
        return b
    }
}
