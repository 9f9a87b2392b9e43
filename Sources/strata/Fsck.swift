import ArgumentParser
import FileSystem

struct Fsck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a stopped store's invariants (links, chunks, blocks) without changing it; exits 1 when any is broken.",
        discussion: """
            It reports what it finds as it is, what a crash left behind included (blocks never referenced, files
            removed while open and never closed; a server start deletes those).
            With --repair it first runs that recovery, says what it deleted, then checks.
            """)

    @Option(name: .long, help: "The data directory of a store no server is using.")
    var dataDir: String = "./strata-data"
    @Option(name: .long, help: "The block store the server used, when not DATA_DIR/blocks: s3://BUCKET?endpoint=URL&region=REGION.")
    var blocks: String?
    @Flag(name: .long, help: "Run crash recovery first (delete files removed while open, unreferenced blocks, garbage) and say what it changed.")
    var repair = false

    func run() async throws {
        let engine = try await StorageEngine.openEmbedded(at: dataDir, recover: false, blocks: try await Serve.openBlocks(blocks))
        if repair {
            let changed = try await engine.recover()
            print("fsck: repaired: deleted \(changed.deletedUnlinked) file(s) removed while open, "
                  + "\(changed.deletedUnreferenced) unreferenced block(s), collected \(changed.collectedGarbage) garbage block(s)")
        }
        let problems = try await ConsistencyChecker(engine: engine).check()
        try await engine.close()
        for problem in problems { print("problem: \(problem)") }
        print(problems.isEmpty ? "fsck: clean" : "fsck: \(problems.count) problem(s)" + (repair ? "" : " (--repair deletes what a crash left behind)"))
        if !problems.isEmpty { throw ExitCode(1) }
    }
}
