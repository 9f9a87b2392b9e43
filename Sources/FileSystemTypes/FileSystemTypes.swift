/// The vocabulary a file system is described in, shared by the storage layer below FileSystem and the
/// protocol layer above it.

/// Inode numbers are allocated by the store and never reused, so a stale file handle can never name a new file.
public typealias InodeID = UInt64
public typealias FileSystemID = Int64

/// Nanoseconds since the Unix epoch (covers 1677–2262).
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public init(seconds: Int64, nanoseconds: UInt32) {
        self.nanoseconds = seconds &* 1_000_000_000 &+ Int64(nanoseconds)
    }
    public var seconds: Int64 { nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000 }
    public var subsecondNanoseconds: UInt32 { UInt32(nanoseconds - seconds * 1_000_000_000) }
    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.nanoseconds < b.nanoseconds }
    public var description: String { "\(seconds).\(subsecondNanoseconds)" }
}

public enum FileType: UInt8, Sendable, CaseIterable {
    case regular = 1, directory, symlink, fifo, socket, characterDevice, blockDevice
}

public enum StorageClass: UInt8, Sendable, CaseIterable {
    case standard = 0, infrequentAccess = 1
}
