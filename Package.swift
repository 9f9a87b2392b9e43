// swift-tools-version: 6.0
import PackageDescription

/// Async functions on the request path run on their caller's executor (SE-0461) rather than hopping to the
/// generic executor at every call: each hop asked the task for its executor preference under a lock, 12% of
/// the server's CPU under GETATTR load, for a hop that never left the event loop anyway.
/// (`-enforce-exclusivity=unchecked` in release, tried for the ~4% of GETATTR CPU in dynamic access checks,
/// won 3 of 6 alternated runs: not worth giving up the checks.)
let onCallersExecutor: [SwiftSetting] = [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]

let package = Package(
    name: "Strata",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "strata", targets: ["strata"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // Linux calls Swift's Glibc module leaves out (sync_file_range, mallopt, RUSAGE_THREAD).
        .target(name: "CStrataLinux"),
        // A lock that does not convoy under contention (Swift's Mutex is a priority-inheritance futex on Linux),
        // and the count of calls a server has under way (an orderly stop drains them).
        .target(name: "Locking", dependencies: ["CStrataLinux"]),
        // The vocabulary files are described in (inode and file system ids, file types, timestamps), shared
        // by the storage layer and everything above FileSystem, so the protocol layer never imports storage.
        .target(name: "FileSystemTypes"),
        // Immutable content blocks by key (local directory engine).
        .target(name: "BlockStore", dependencies: [
            "CStrataLinux", "Locking",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], swiftSettings: onCallersExecutor),
        // SQLite's write-ahead log written one transaction per write call (a VFS over the platform's).
        .target(name: "CSQLiteLogBuffer", dependencies: [.product(name: "GRDBSQLite", package: "GRDB.swift")]),
        // Transactional inode/dentry/chunk records; the SQLite (GRDB) engine.
        .target(name: "MetadataStore", dependencies: [
            "FileSystemTypes", "CStrataLinux", "Locking", "CSQLiteLogBuffer",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ], swiftSettings: onCallersExecutor),
        // POSIX semantics over inodes: the only API the protocol layer sees.
        .target(name: "FileSystem", dependencies: [
            "FileSystemTypes", "MetadataStore", "BlockStore", "Locking",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: onCallersExecutor),
        // RFC 4506 encoding and bounds-checked decoding.
        .target(name: "XDR", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        // RFC 5531 messages, record marking, AUTH_SYS, and a TCP server dispatching (program, version).
        .target(name: "ONCRPC", dependencies: [
            "XDR", "CStrataLinux", "Locking",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: onCallersExecutor),
        // NFSv4.1: COMPOUND, one handler per operation, client/session/stateid state. It sees storage only
        // through FileSystem (no MetadataStore here: the compiler keeps the layering).
        .target(name: "NFSv4", dependencies: [
            "XDR", "ONCRPC", "FileSystem", "Locking",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: onCallersExecutor),
        // An NFSv4.1 client over the same XDR/RPC types: sessions, slots, COMPOUND building and parsing.
        .target(name: "NFSClient", dependencies: [
            "XDR", "ONCRPC", "Locking",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // A JSON value type shared by the control plane, IAM and the API.
        .target(name: "JSONValue"),
        // Credentials, SigV4 verification, IAM policy evaluation.
        .target(name: "IAM", dependencies: ["JSONValue", .product(name: "Crypto", package: "swift-crypto")]),
        // Blocks as objects in an S3-compatible store (Ceph RGW, SeaweedFS, MinIO, AWS S3), signed with the
        // IAM module's SigV4.
        .target(name: "S3Blocks", dependencies: [
            "BlockStore", "IAM",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The EFS resource model in its own types (EFS's JSON is ManagementAPI's): file systems, mount
        // targets, access points, policies; network config; the snapshot the data path reads.
        .target(name: "ControlPlane", dependencies: [
            "IAM", "FileSystem", "MetadataStore", "Locking", .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        // The EFS REST-JSON API (2015-02-01) over HTTP, validated against the generated model.
        .target(name: "ManagementAPI", dependencies: [
            "ControlPlane", "IAM", "JSONValue", "Locking",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "strata", dependencies: [
            "NFSv4", "ONCRPC", "ManagementAPI", "ControlPlane", "IAM", "JSONValue",
            "FileSystem", "MetadataStore", "BlockStore", "S3Blocks", "NFSClient", "CStrataLinux",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // A child process the crash-consistency tests SIGKILL mid-write, and the content it writes.
        .target(name: "CrashWorkloadContent", dependencies: [.product(name: "NIOCore", package: "swift-nio")],
                path: "Tests/CrashWorkloadContent"),
        .executableTarget(name: "strata-crash-workload", dependencies: [
            "FileSystem", "MetadataStore", "BlockStore", "CrashWorkloadContent",
            .product(name: "NIOCore", package: "swift-nio"),
        ], path: "Tests/CrashWorkload"),
        // The NFS client of the power-loss test: writes logged once durable, read back after the cut.
        .executableTarget(name: "strata-durability-probe", dependencies: [
            "NFSClient", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        ], path: "Tests/DurabilityProbe"),
        // Helpers shared by test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "BlockStoreTests", dependencies: ["BlockStore", "S3Blocks"]),
        .testTarget(name: "LockingTests", dependencies: ["Locking"]),
        .testTarget(name: "IAMTests", dependencies: ["IAM", "JSONValue"]),
        .testTarget(name: "ManagementAPITests", dependencies: ["ManagementAPI", "JSONValue"]),
        .testTarget(name: "ControlPlaneTests", dependencies: ["ControlPlane", "FileSystem", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "XDRTests", dependencies: [
            "XDR", "ONCRPC",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "NFSv4Tests", dependencies: [
            "NFSv4", "ONCRPC", "XDR", "FileSystem", "MetadataStore", "NFSClient", "TestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "MetadataStoreTests", dependencies: [
            "MetadataStore", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "FileSystemTests", dependencies: [
            "FileSystem", "MetadataStore", "BlockStore", "CrashWorkloadContent", "TestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
