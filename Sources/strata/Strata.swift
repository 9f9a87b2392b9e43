import ArgumentParser

@main
struct Strata: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Strata: a self-hosted elastic network file system.",
        subcommands: [Serve.self, IAMCommand.self, Bench.self, Fsck.self])
}
