import FileSystem
import XDR

/// OPEN4args (RFC 8881 §18.16.1), decoded into named cases before the operation runs.
struct OpenArguments {
    /// createhow4: how a missing (or existing) file is created.
    enum Creation {
        case unchecked(SetAttributes, AttributeBitmap)
        case guarded(SetAttributes, AttributeBitmap)
        case exclusive(verifier: UInt64)
        /// EXCLUSIVE4_1: a verifier and attributes (NFSv4.1 only).
        case exclusive41(verifier: UInt64, SetAttributes, AttributeBitmap)

        var mode: CreateMode {
            switch self {
            case .unchecked: .unchecked
            case .guarded: .guarded
            case .exclusive(let v), .exclusive41(let v, _, _): .exclusive(verifier: v)
            }
        }
        var attributes: SetAttributes {
            switch self {
            case .unchecked(let a, _), .guarded(let a, _), .exclusive41(_, let a, _): a
            case .exclusive: SetAttributes()
            }
        }
        var bitmap: AttributeBitmap {
            switch self {
            case .unchecked(_, let b), .guarded(_, let b), .exclusive41(_, _, let b): b
            case .exclusive: AttributeBitmap()
            }
        }
    }

    /// open_claim4: what the client opens.
    enum Claim {
        case null(Name)
        case previous(delegationType: UInt32)
        case delegateCurrent(StateID, Name)
        case delegatePrevious(Name)
        case fh
        case delegatePreviousFH
        case delegateCurrentFH(StateID)
    }

    /// NFSv4.0's open-owner seqid (the session's slot sequences NFSv4.1).
    var seqid: UInt32
    /// OPEN4_SHARE_ACCESS_* (without the delegation wants above them).
    var access: UInt32
    /// NFSv4.1's OPEN4_SHARE_ACCESS_WANT_* (nil: none given, the server decides).
    var want: DelegationWant?
    var deny: UInt32
    /// NFSv4.0's owner client id; the session's client is authoritative in NFSv4.1.
    var ownerClient: UInt64
    var owner: [UInt8]
    var creation: Creation?
    var claim: Claim

    init(decoding d: inout XDRDecoder, minorVersion: UInt32) throws {
        seqid = try d.u32()
        let shareAccess = try d.u32()
        access = shareAccess & 0xFF
        if minorVersion == 1 && shareAccess & DelegationWant.mask != 0 {
            guard let want = DelegationWant(rawValue: shareAccess & DelegationWant.mask) else { throw NFSStatus.inval }
            self.want = want
        }
        deny = try d.u32()
        ownerClient = try d.u64()
        owner = try d.opaque(max: NFSProtocol.maxOpaque)
        switch try d.u32() {
        case 0: creation = nil
        case 1:
            switch try d.u32() {
            case 0: let (a, b) = try AttributeDecoder.settable(&d); creation = .unchecked(a, b)
            case 1: let (a, b) = try AttributeDecoder.settable(&d); creation = .guarded(a, b)
            case 2: creation = .exclusive(verifier: try Operations.verifier(&d))
            case 3:
                guard minorVersion == 1 else { throw NFSStatus.inval }
                let v = try Operations.verifier(&d)
                let (a, b) = try AttributeDecoder.settable(&d)
                creation = .exclusive41(verifier: v, a, b)
            default: throw NFSStatus.badxdr
            }
        default: throw NFSStatus.badxdr
        }
        switch try d.u32() {
        case 0: claim = .null(try Operations.name(&d))
        case 1: claim = .previous(delegationType: try d.u32())
        case 2: claim = .delegateCurrent(try StateID(decoding: &d), try Operations.name(&d))
        case 3: claim = .delegatePrevious(try Operations.name(&d))
        case 4: claim = .fh
        case 5: claim = .delegatePreviousFH
        case 6: claim = .delegateCurrentFH(try StateID(decoding: &d))
        default: throw NFSStatus.badxdr
        }
    }
}
