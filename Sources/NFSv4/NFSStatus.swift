import FileSystem

/// nfsstat4 (RFC 8881 §15.1).
public enum NFSStatus: UInt32, Error, Sendable {
    case ok = 0, perm = 1, noent = 2, io = 5, nxio = 6, access = 13, exist = 17, xdev = 18, notdir = 20
    case isdir = 21, inval = 22, fbig = 27, nospc = 28, rofs = 30, mlink = 31, nametoolong = 63
    case notempty = 66, dquot = 69, stale = 70
    case badhandle = 10001, badCookie = 10003, notsupp = 10004, toosmall = 10005, serverfault = 10006
    case badtype = 10007, delay = 10008, same = 10009, denied = 10010, expired = 10011, locked = 10012
    case grace = 10013, fhexpired = 10014, shareDenied = 10015, wrongsec = 10016, clidInuse = 10017
    case resource = 10018, moved = 10019, nofilehandle = 10020, minorVersMismatch = 10021
    case staleClientid = 10022, staleStateid = 10023, oldStateid = 10024, badStateid = 10025
    case badSeqid = 10026, notSame = 10027, lockRange = 10028, symlink = 10029, restorefh = 10030
    case attrnotsupp = 10032, noGrace = 10033, reclaimBad = 10034, reclaimConflict = 10035
    case badxdr = 10036, locksHeld = 10037, openmode = 10038, badowner = 10039, badchar = 10040
    case badname = 10041, badRange = 10042, lockNotsupp = 10043, opIllegal = 10044, deadlock = 10045
    case fileOpen = 10046, adminRevoked = 10047, cbPathDown = 10048
    case badsession = 10052, badslot = 10053, completeAlready = 10054, connNotBoundToSession = 10055
    case seqMisordered = 10063, sequencePos = 10064, reqTooBig = 10065, repTooBig = 10066
    case repTooBigToCache = 10067, retryUncachedRep = 10068, tooManyOps = 10070, opNotInSession = 10071
    case clientidBusy = 10074, seqFalseRetry = 10076, badHighSlot = 10077, deadsession = 10078
    case notOnlyOp = 10081, wrongCred = 10082, wrongType = 10083, delegRevoked = 10087

    /// The one place file system errors become NFS statuses.
    public init(_ error: FSError) {
        switch error {
        case .notPermitted: self = .perm
        case .noEntry: self = .noent
        case .io: self = .io
        case .accessDenied: self = .access
        case .exists: self = .exist
        case .crossDevice: self = .xdev
        case .notDirectory: self = .notdir
        case .isDirectory: self = .isdir
        case .invalid: self = .inval
        case .fileTooLarge: self = .fbig
        case .noSpace: self = .nospc
        case .readOnly: self = .rofs
        case .tooManyLinks: self = .mlink
        case .nameTooLong: self = .nametoolong
        case .notEmpty: self = .notempty
        case .stale: self = .stale
        case .notSupported: self = .notsupp
        }
    }
}

/// nfs_opnum4.
public enum OpCode: UInt32, Sendable, CaseIterable {
    case access = 3, close = 4, commit = 5, create = 6, delegpurge = 7, delegreturn = 8, getattr = 9
    case getfh = 10, link = 11, lock = 12, lockt = 13, locku = 14, lookup = 15, lookupp = 16, nverify = 17
    case open = 18, openattr = 19, openConfirm = 20, openDowngrade = 21, putfh = 22, putpubfh = 23
    case putrootfh = 24, read = 25, readdir = 26, readlink = 27, remove = 28, rename = 29, renew = 30
    case restorefh = 31, savefh = 32, secinfo = 33, setattr = 34, setclientid = 35, setclientidConfirm = 36
    case verify = 37, write = 38, releaseLockowner = 39
    case backchannelCtl = 40, bindConnToSession = 41, exchangeID = 42, createSession = 43
    case destroySession = 44, freeStateid = 45, getDirDelegation = 46, getdeviceinfo = 47
    case getdevicelist = 48, layoutcommit = 49, layoutget = 50, layoutreturn = 51, secinfoNoName = 52
    case sequence = 53, setSSV = 54, testStateid = 55, wantDelegation = 56, destroyClientid = 57
    case reclaimComplete = 58
    case illegal = 10044
}

public enum NFSProtocol {
    public static let program: UInt32 = 100_003
    public static let version: UInt32 = 4
    public static let maxIO = 1 << 20
    public static let maxName = 255
    public static let maxOpaque = 1024
    public static let maxFileHandle = 128
}
