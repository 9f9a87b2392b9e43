#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import FileSystem
import MetadataStore
import NIOCore

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks (not tests).", subcommands: [StorageBench.self, NFSBench.self])
}

/// The large file both benchmarks write and read sequentially.
struct LargeFileOptions: ParsableArguments {
    @Option(name: .customLong("file-mib"), help: "Size of the sequentially written and read file, in MiB.")
    var fileMiB: Int = 1024
}

/// Storage engine figures, one `metric NAME VALUE UNIT` line each.
struct StorageBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Durable creates (1 and 32 callers), stats, and sequential 1 MiB writes and reads of a large file.")

    @Option(help: "Scratch directory on the disk to measure (removed afterwards).")
    var dir: String = "./strata-bench"
    @OptionGroup var largeFile: LargeFileOptions
    var fileMiB: Int { largeFile.fileMiB }
    @Option(help: "Files created by the single caller.")
    var createsSingle: Int = 3000
    @Option(help: "Files created in all by the 32 concurrent callers.")
    var createsConcurrent: Int = 32000
    @Option(help: "getattr calls.")
    var stats: Int = 400_000
    @Option(help: "UNSTABLE 4 KiB writes at random offsets of the large file, landed by one COMMIT (each of 4 rounds).")
    var scattered: Int = 8000

    func run() async throws {
        _ = system("rm -rf '\(dir)'")
        let engine = try await StorageEngine.openEmbedded(at: dir)
        let fs = try await engine.defaultFileSystem()
        print("bench storage in \(dir): file \(fileMiB) MiB, chunk \(fs.chunkSize) bytes")

        let c1 = try await creates(fs, callers: 1, total: createsSingle, dirName: "c1")
        report("storage.create.c1", c1.rate, "ops/s")
        let c32 = try await creates(fs, callers: 32, total: createsConcurrent, dirName: "c32")
        report("storage.create.c32", c32.rate, "ops/s")

        let inodes = c32.inodes
        let perTask = stats / 4
        let statRate = try await measure(Double(perTask * 4)) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for t in 0..<4 {
                    group.addTask {
                        var i = t
                        for _ in 0..<perTask { _ = try await fs.getattr(inodes[i % inodes.count]); i &+= 7919 }
                    }
                }
                try await group.waitForAll()
            }
        }
        report("storage.stat", statRate, "ops/s")

        let file = try await fs.create(fs.root, Name("big"), .regular, SetAttributes(), mode: .guarded, as: .root).attributes.id
        var payload = ByteBufferAllocator().buffer(capacity: 1 << 20)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<(1 << 17) { payload.writeInteger(generator.next() as UInt64) }
        let bytes = Double(fileMiB) * 1_048_576
        let writeRate = try await measure(bytes / 1_000_000) {
            for i in 0..<fileMiB {
                _ = try await fs.write(file, offset: UInt64(i) << 20, payload, stable: .fileSync)
            }
        }
        report("storage.write", writeRate, "MB/s")
        let readRate = try await measure(bytes / 1_000_000) {
            for i in 0..<fileMiB {
                let (data, _) = try await fs.read(file, offset: UInt64(i) << 20, count: 1 << 20)
                precondition(data.readableBytes == 1 << 20)
            }
        }
        report("storage.read", readRate, "MB/s")
        report("storage.scattered-4k.commit", try await scatteredCommit(fs, file), "writes/s")
        try await engine.close()
        _ = system("rm -rf '\(dir)'")
    }

    /// How fast a COMMIT lands scattered small writes (slices over the file's chunks: one block, and a row
    /// each in one transaction); the writes themselves only go to memory and are not timed.
    private func scatteredCommit(_ fs: StrataFileSystem, _ file: InodeID) async throws -> Double {
        var data = ByteBufferAllocator().buffer(capacity: 4096)
        data.writeRepeatingByte(0x5A, count: 4096)
        var seconds = 0.0
        for _ in 0..<4 {
            for _ in 0..<scattered {
                let offset = UInt64.random(in: 0..<UInt64(fileMiB * 256)) * 4096
                _ = try await fs.write(file, offset: offset, data, stable: .unstable)
            }
            let start = ContinuousClock.now
            _ = try await fs.commit(file)
            seconds += (ContinuousClock.now - start).seconds
        }
        return Double(4 * scattered) / seconds
    }

    private func creates(_ fs: StrataFileSystem, callers: Int, total: Int, dirName: String) async throws -> (rate: Double, inodes: [InodeID]) {
        let dir = try await fs.create(fs.root, Name(dirName), .directory, SetAttributes(), mode: .guarded, as: .root).attributes.id
        let each = total / callers
        var inodes: [InodeID] = []
        let rate = try await measure(Double(each * callers)) {
            inodes = try await withThrowingTaskGroup(of: [InodeID].self) { group in
                for c in 0..<callers {
                    group.addTask {
                        var made: [InodeID] = []
                        for i in 0..<each {
                            made.append(try await fs.create(dir, Name("f\(c)-\(i)"), .regular, SetAttributes(),
                                                            mode: .guarded, as: .root).attributes.id)
                        }
                        return made
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
        return (rate, inodes)
    }

    private func report(_ name: String, _ value: Double, _ unit: String) {
        print("metric \(name) \(Int(value.rounded())) \(unit)")
    }
}

/// Runs `body` once and returns `amount` per second of wall time.
func measure(_ amount: Double, _ body: () async throws -> Void) async throws -> Double {
    let start = ContinuousClock.now
    try await body()
    return amount / (ContinuousClock.now - start).seconds
}

extension Duration {
    /// This duration in (fractional) seconds, for rates.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
