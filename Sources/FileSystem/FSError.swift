#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one error type of the file system layer. Each case is one POSIX errno; the NFS layer maps these
/// to nfsstat4 in one place.
public enum FSError: Error, Sendable, Hashable, CaseIterable {
    case notPermitted          // EPERM: needs ownership or root
    case noEntry               // ENOENT
    case io                    // EIO: storage failed
    case accessDenied          // EACCES: permission bits say no
    case exists                // EEXIST
    case crossDevice           // EXDEV: the two inodes are in different file systems
    case notDirectory          // ENOTDIR
    case isDirectory           // EISDIR
    case invalid               // EINVAL
    case fileTooLarge          // EFBIG
    case noSpace               // ENOSPC
    case readOnly              // EROFS
    case tooManyLinks          // EMLINK
    case nameTooLong           // ENAMETOOLONG
    case notEmpty              // ENOTEMPTY
    case stale                 // ESTALE: the inode no longer exists
    case notSupported          // EOPNOTSUPP

    public var errno: Int32 {
        switch self {
        case .notPermitted: EPERM
        case .noEntry: ENOENT
        case .io: EIO
        case .accessDenied: EACCES
        case .exists: EEXIST
        case .crossDevice: EXDEV
        case .notDirectory: ENOTDIR
        case .isDirectory: EISDIR
        case .invalid: EINVAL
        case .fileTooLarge: EFBIG
        case .noSpace: ENOSPC
        case .readOnly: EROFS
        case .tooManyLinks: EMLINK
        case .nameTooLong: ENAMETOOLONG
        case .notEmpty: ENOTEMPTY
        case .stale: ESTALE
        case .notSupported: EOPNOTSUPP
        }
    }

    public init?(errno: Int32) {
        guard let match = FSError.allCases.first(where: { $0.errno == errno }) else { return nil }
        self = match
    }
}
