import ArgumentParser
import FileSystem

struct Fsck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a stopped store's invariants (links, chunks, blocks); exits 1 when any is broken.")

    @Option(name: .long, help: "The data directory of a store no server is using.")
    var dataDir: String = "./strata-data"

    func run() async throws {
        let engine = try await StorageEngine.openEmbedded(at: dataDir)
        let problems = try await ConsistencyChecker(engine: engine).check()
        try await engine.close()
        for problem in problems { print("problem: \(problem)") }
        print(problems.isEmpty ? "fsck: clean" : "fsck: \(problems.count) problem(s)")
        if !problems.isEmpty { throw ExitCode(1) }
    }
}
