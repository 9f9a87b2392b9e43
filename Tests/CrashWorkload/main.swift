// A workload for the crash-consistency tests: it changes a store as fast as it can and logs each operation
// before ("+ op") and after ("= op") it is acknowledged, until the test kills it with SIGKILL.
#if canImport(Glibc)
import Glibc
#endif
import CrashWorkloadContent
import FileSystem
import MetadataStore
import NIOCore

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    print("usage: strata-crash-workload DATA_DIR LOG")
    exit(2)
}
let log = open(arguments[2], O_WRONLY | O_CREAT | O_APPEND, 0o644)

/// Plain write(2): the test kills the process, not the machine, so the page cache keeps every line.
func say(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = write(log, $0.baseAddress, $0.count) }
}

func step(_ op: String, _ body: () async throws -> Void) async throws {
    say("+ " + op)
    try await body()
    say("= " + op)
}

func content(_ k: Int, _ version: Int) -> ByteBuffer { CrashContent.file(k, version: version) }

let engine = try await StorageEngine.openEmbedded(at: arguments[1])
let fs = try await engine.createFileSystem(chunkSize: 64 * 1024)
let dir = try await fs.create(fs.root, Name("d"), .directory, SetAttributes(), mode: .guarded, as: .root).attributes.id
var files: [InodeID] = []
for k in 0..<4 {
    let f = try await fs.create(fs.root, Name("f\(k)"), .regular, SetAttributes(), mode: .guarded, as: .root).attributes.id
    try await step("W \(k) 0") { _ = try await fs.write(f, offset: 0, content(k, 0), stable: .fileSync) }
    files.append(f)
}
say("ready")
var n = 0
while true {
    let k = n % 4
    let version = n / 4 + 1
    try await step("W \(k) \(version)") { _ = try await fs.write(files[k], offset: 0, content(k, version), stable: .fileSync) }
    try await step("C c\(n)") {
        _ = try await fs.create(dir, Name("c\(n)"), .regular, SetAttributes(), mode: .guarded, as: .root)
    }
    try await step("L c\(n) h\(n)") {
        let target = try await fs.lookup(dir, Name("c\(n)"), as: .root).id
        _ = try await fs.link(target, into: dir, Name("h\(n)"), as: .root)
    }
    if n >= 1 { try await step("R c\(n - 1) r\(n - 1)") { _ = try await fs.rename(dir, Name("c\(n - 1)"), to: dir, Name("r\(n - 1)"), as: .root) } }
    if n >= 2 { try await step("U h\(n - 2)") { _ = try await fs.unlink(dir, Name("h\(n - 2)"), as: .root) } }
    if n >= 3 && n % 3 == 0 { try await step("U r\(n - 3)") { _ = try await fs.unlink(dir, Name("r\(n - 3)"), as: .root) } }
    n += 1
}
