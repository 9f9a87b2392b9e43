// The NFS client of the power-loss test (scripts/e2e-power-loss): it writes through NFSv4.1 with FILE_SYNC and
// with UNSTABLE + COMMIT, and logs each write only once the server has said it is durable (its FILE_SYNC
// reply, or a COMMIT whose verifier matches the writes'); after the server's machine was cut off and booted
// again, it reads every logged range back and compares.
//
//   strata-durability-probe write HOST:PORT LOG SECONDS FIRST   (files pFIRST+1, pFIRST+2, ...)
//   strata-durability-probe verify HOST:PORT LOG               (every range LOG names, in any file)
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NFSClient
import NIOCore
import NIOPosix

let arguments = CommandLine.arguments
guard arguments.count >= 4, let colon = arguments[2].lastIndex(of: ":"), let port = Int(arguments[2][arguments[2].index(after: colon)...]) else {
    print("usage: strata-durability-probe write HOST:PORT LOG SECONDS FIRST | verify HOST:PORT LOG")
    exit(2)
}
let host = String(arguments[2][..<colon]), logPath = arguments[3]
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let blockSize = 64 * 1024, blocksPerFile = 16

/// The bytes of `file` at `offset`: pseudo-random, different for every block, reproducible.
func content(file: Int, offset: Int, length: Int) -> ByteBuffer {
    var state = (UInt64(file) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(offset) &* 0xBF58_476D_1CE4_E5B9) | 1
    var b = ByteBufferAllocator().buffer(capacity: length)
    for _ in 0..<(length / 8) {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        b.writeInteger(state)
    }
    return b
}

/// A server that is still booting refuses connections; one that restarted refuses new opens during grace.
func retrying<T>(for seconds: Double, _ body: () async throws -> T) async throws -> T {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        do { return try await body() } catch {
            if Date() > deadline { throw error }
            try await Task.sleep(for: .milliseconds(500))
        }
    }
}

func rootHandle(_ s: NFSSession) async throws -> [UInt8] {
    var r = try await s.compound([.putrootfh, .getfh])
    try r.skip(24)
    return try r.fileHandle()
}

func write(seconds: Double, firstFile: Int) async throws {
    let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    /// Appended and synced: the log is the truth about what the server acknowledged.
    func acknowledged(_ file: Int, _ offset: Int, _ how: String) {
        var line = "\(file) \(offset) \(blockSize) \(how)\n"
        line.withUTF8 { _ = Glibc.write(log, $0.baseAddress, $0.count) }
        fsync(log)
    }
    let s = try await retrying(for: 120) { try await NFSSession.establish(host: host, port: port, group: group) }
    let root = try await rootHandle(s)
    let owner = Array("probe-\(getpid())".utf8)
    let stop = Date().addingTimeInterval(seconds)
    var acked = 0, file = firstFile
    do {
        while Date() < stop {
            file += 1
            // A server that restarted with clients it knew refuses new opens until its grace period ends.
            let (id, handle) = try await retrying(for: 60) { () async throws -> (NFSStateID, [UInt8]) in
                var r = try await s.compound([.putfh(root), .open("p\(file)", clientID: s.clientID, owner: owner, write: true, create: true),
                                              .getfh])
                try r.skip(22)
                return (try r.openStateID(), try r.fileHandle())
            }
            var r: CompoundResult
            let fileSync = file % 2 == 0
            var unstable: [Int] = []
            var verifier: [UInt8]?
            for block in 0..<blocksPerFile {
                let offset = block * blockSize
                r = try await s.compound([.putfh(handle), .write(id, offset: UInt64(offset), stable: fileSync ? 2 : 0,
                                                                  data: content(file: file, offset: offset, length: blockSize))])
                try r.skip(22)
                let reply = try r.writeReply()
                guard reply.count == UInt32(blockSize) else { throw RPCClientError("short write") }
                if fileSync {
                    guard reply.committed == 2 else { throw RPCClientError("FILE_SYNC answered \(reply.committed)") }
                    acknowledged(file, offset, "file-sync"); acked += 1
                    continue
                }
                if verifier != reply.verifier { unstable = []; verifier = reply.verifier }  // a restart lost the earlier ones
                unstable.append(offset)
                if unstable.count == 4 || block == blocksPerFile - 1 {
                    r = try await s.compound([.putfh(handle), .commit()])
                    try r.skip(22)
                    guard try r.commitVerifier() == verifier else { unstable = []; continue }
                    for o in unstable { acknowledged(file, o, "commit") }
                    acked += unstable.count
                    unstable = []
                }
            }
            _ = try await s.compound([.putfh(handle), .close(id)])
        }
        print("probe: \(acked) durable writes acknowledged; time up")
    } catch {
        print("probe: \(acked) durable writes acknowledged before: \(error)")
    }
}

func verify() async throws {
    guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { print("probe: no log"); exit(1) }
    var ranges: [Int: [(offset: Int, length: Int)]] = [:]
    for line in text.split(separator: "\n") {
        let f = line.split(separator: " ")
        guard f.count == 4, let file = Int(f[0]), let offset = Int(f[1]), let length = Int(f[2]) else { continue }
        ranges[file, default: []].append((offset, length))
    }
    let s = try await retrying(for: 180) { try await NFSSession.establish(host: host, port: port, group: group) }
    let root = try await rootHandle(s)
    var checked = 0, wrong = 0
    for (file, list) in ranges.sorted(by: { $0.key < $1.key }) {
        // New opens wait out the grace period a restart begins.
        let (id, handle) = try await retrying(for: 180) { () async throws -> (NFSStateID, [UInt8]) in
            var r = try await s.compound([.putfh(root), .open("p\(file)", clientID: s.clientID, owner: Array("verify".utf8),
                                                                write: false, create: false), .getfh])
            try r.skip(22)
            return (try r.openStateID(), try r.fileHandle())
        }
        for range in list {
            var r = try await s.compound([.putfh(handle), .read(id, offset: UInt64(range.offset), count: UInt32(range.length))])
            try r.skip(22)
            let data = try r.readData().data
            if data != content(file: file, offset: range.offset, length: range.length) {
                wrong += 1
                print("probe: LOST: file p\(file) bytes \(range.offset)..<\(range.offset + range.length) (read \(data.readableBytes) bytes, not what was acknowledged)")
            }
            checked += 1
        }
        _ = try await s.compound([.putfh(handle), .close(id)])
    }
    print("probe: verified \(checked) acknowledged writes in \(ranges.count) files: \(wrong) lost")
    exit(wrong == 0 ? 0 : 1)
}

switch arguments[1] {
case "write":
    try await write(seconds: arguments.count > 4 ? Double(arguments[4]) ?? 30 : 30,
                    firstFile: arguments.count > 5 ? Int(arguments[5]) ?? 0 : 0)
case "verify": try await verify()
default: print("usage: strata-durability-probe write|verify HOST:PORT LOG [SECONDS]"); exit(2)
}
