#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Dispatch
import FileSystem
import MetadataStore

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open (or create) the embedded store and serve it until SIGINT or SIGTERM.")

    @Option(name: .long, help: "Where metadata and blocks live.")
    var dataDir: String = "./strata-data"

    func run() async throws {
        print("strata serve")
        print("  data-dir: \(dataDir)  (metadata: \(dataDir)/metadata, blocks: \(dataDir)/blocks)")
        let engine = try await StorageEngine.openEmbedded(at: dataDir)
        let fs = try await engine.defaultFileSystem()
        print("  store opened \(engine.store.openCount) time(s); recovery done")
        for record in try await engine.fileSystems() {
            let stats = try await engine.fileSystem(record.id)!.statfs()
            let standard = stats.bytes[.standard] ?? 0, ia = stats.bytes[.infrequentAccess] ?? 0
            print("  file system \(record.id): root inode \(record.root), chunk size \(record.chunkSize), "
                  + "\(stats.files) inodes, \(standard) bytes Standard, \(ia) bytes Infrequent Access")
        }
        print("  default file system: \(fs.id)")
        print("Ready. The NFS endpoint is not served yet by this build; stop with Ctrl-C or SIGTERM.")
        await waitForTermination()
        try await engine.close()
        print("strata: stopped cleanly")
    }
}

/// Suspends until SIGINT or SIGTERM arrives.
func waitForTermination() async {
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let queue = DispatchQueue(label: "strata.signals")
        let once = OnceFlag()
        for number in [SIGINT, SIGTERM] {
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { if once.claim() { continuation.resume() } }
            source.resume()
            SignalSources.keep(source)
        }
    }
}

/// Signal sources must stay alive after the function that created them returns.
enum SignalSources {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    static func keep(_ source: any DispatchSourceSignal) { sources.append(source) }
}

final class OnceFlag: @unchecked Sendable {
    private var claimed = false
    /// True the first time only; called on one serial queue.
    func claim() -> Bool { defer { claimed = true }; return !claimed }
}
