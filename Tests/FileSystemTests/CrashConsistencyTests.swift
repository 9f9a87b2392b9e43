#if canImport(Glibc)
import Glibc
#endif
import CrashWorkloadContent
import FileSystem
import Foundation
import MetadataStore
import NIOCore
import Testing

/// A child process changes a store and is killed with SIGKILL at an arbitrary moment; the store is reopened
/// (running recovery) and must be consistent, keep everything acknowledged, and hold each file whole in
/// its old or new version.
@Suite struct CrashConsistencyTests {
    static var workload: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("strata-crash-workload").path
    }

    @Test(arguments: [0.15, 0.6, 1.2, 2.0])
    func aStoreKilledMidWriteReopensConsistentWithAllAcknowledgedData(killAfter: Double) async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let data = scratch + "/data", logPath = scratch + "/log"
        #expect(FileManager.default.isExecutableFile(atPath: Self.workload), "build the package first: \(Self.workload)")

        let child = Process()
        child.executableURL = URL(fileURLWithPath: Self.workload)
        child.arguments = [data, logPath]
        try child.run()
        let deadline = Date().addingTimeInterval(60)
        // Wait for the workload to be well under way (a dozen acknowledged changes), then kill it wherever it is.
        func acknowledged() -> Int {
            ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.hasPrefix("= ") }.count
        }
        while acknowledged() < 12 {
            #expect(Date() < deadline && child.isRunning, "workload never became ready")
            if Date() >= deadline || !child.isRunning { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(Int(killAfter * 1000)))
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal)

        let log = try String(contentsOfFile: logPath, encoding: .utf8)
        let journal = Journal(log)
        #expect(journal.acknowledged.count > 8, "the workload acknowledged too little to test anything")

        let engine = try await StorageEngine.openEmbedded(at: data)
        #expect(try await ConsistencyChecker(engine: engine).check() == [])
        let record = try #require(try await engine.fileSystems().first)
        let fs = try #require(try await engine.fileSystem(record.id))

        for k in 0..<4 {
            let acked = journal.version[k] ?? -1
            let f = try await fs.lookup(fs.root, Name("f\(k)"), as: .root)
            let (bytes, _) = try await fs.read(f.id, offset: 0, count: Int(f.size))
            var allowed = acked >= 0 ? [acked] : []
            if case .write(k, let pending)? = journal.pending { allowed.append(pending) }
            if acked < 0 { allowed.append(-1) }
            let matches = allowed.contains { version in
                version < 0 ? bytes.readableBytes == 0 : bytes == Self.content(k, version)
            }
            #expect(matches, "f\(k) is neither version \(allowed) whole")
        }

        let dir = try await fs.lookup(fs.root, Name("d"), as: .root)
        var listed: Set<String> = []
        var cookie: UInt64 = 0
        while true {
            let page = try await fs.readdir(dir.id, after: cookie, limit: 500, as: .root)
            listed.formUnion(page.entries.map(\.name.description))
            if page.eof { break }
            cookie = page.entries.last!.cookie
        }
        var withPending = journal.names
        journal.pending?.apply(to: &withPending)
        #expect(listed == journal.names || listed == withPending, "names in d differ from the acknowledged ones")
        try await engine.close()
        try? FileManager.default.removeItem(atPath: scratch)
    }

    static func content(_ k: Int, _ version: Int) -> ByteBuffer { CrashContent.file(k, version: version) }
}

/// The workload's log replayed: what was acknowledged, and the one operation that may have been in flight.
struct Journal {
    enum Op: Equatable {
        case write(Int, Int), create(String), link(String, String), rename(String, String), unlink(String)
        init?(_ text: Substring) {
            let p = text.split(separator: " ").map(String.init)
            switch p.first {
            case "W" where p.count == 3: self = .write(Int(p[1])!, Int(p[2])!)
            case "C" where p.count == 2: self = .create(p[1])
            case "L" where p.count == 3: self = .link(p[1], p[2])
            case "R" where p.count == 3: self = .rename(p[1], p[2])
            case "U" where p.count == 2: self = .unlink(p[1])
            default: return nil
            }
        }
        func apply(to names: inout Set<String>) {
            switch self {
            case .write: break
            case .create(let n): names.insert(n)
            case .link(_, let b): names.insert(b)
            case .rename(let a, let b): names.remove(a); names.insert(b)
            case .unlink(let n): names.remove(n)
            }
        }
    }
    var acknowledged: [Op] = []
    var pending: Op?
    var names: Set<String> = []
    var version: [Int: Int] = [:]

    init(_ log: String) {
        // A last line cut short by the kill has no newline and is ignored.
        let complete = log.hasSuffix("\n") ? log : String(log[..<(log.lastIndex(of: "\n") ?? log.startIndex)])
        for line in complete.split(separator: "\n") {
            guard line.count > 2, let op = Op(line.dropFirst(2)) else { continue }
            if line.hasPrefix("+ ") { pending = op }
            if line.hasPrefix("= ") {
                acknowledged.append(op)
                pending = nil
                op.apply(to: &names)
                if case .write(let k, let v) = op { version[k] = v }
            }
        }
    }
}
