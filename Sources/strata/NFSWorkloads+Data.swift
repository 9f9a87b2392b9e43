import NFSClient
import NIOCore

extension NFSWorkloads {
    static let unstable: UInt32 = 0

    /// A payload of pseudo-random bytes (so no layer can compress or deduplicate it).
    static func payload(_ size: Int) -> ByteBuffer {
        var b = ByteBufferAllocator().buffer(capacity: size)
        var g = SystemRandomNumberGenerator()
        for _ in 0..<(size / 8) { b.writeInteger(g.next() as UInt64) }
        return b
    }

    /// `fileMiB` MiB in 1 MiB UNSTABLE writes, `depth` outstanding, then COMMIT and CLOSE (what the Linux
    /// client does for `dd` followed by close); the time includes the COMMIT.
    func sequentialWrite(in run: [UInt8]) async throws -> (figures: WorkloadFigures, handle: [UInt8]) {
        let s = try await session(slots: depth)
        let (id, handle) = try await open(s, in: run, "seq", write: true, create: true, owner: "seq")
        let data = Self.payload(1 << 20)
        let cursor = Cursor()
        let (latencies, seconds) = try await concurrently(s.slotCount, through: { _ in s }) { slot in
            var latencies = newLatencies()
            while case let block = cursor.take(), block < fileMiB {
                var r = try await latencies.time {
                    try await s.compound(slot: slot, [.putfh(handle), .write(id, offset: UInt64(block) << 20, stable: Self.unstable, data: data)])
                }
                try r.skip(22)
                guard try r.written().count == 1 << 20 else { throw RPCClientError("short write") }
            }
            return latencies
        }
        let commitStart = ContinuousClock.now
        _ = try await s.compound([.putfh(handle), .commit()])
        try await close(s, handle, id)
        let commit = ContinuousClock.now - commitStart
        await s.close()
        let total = seconds + commit.seconds
        return (WorkloadFigures(name: "seq-write", rate: Double(fileMiB) * 1_048_576 / 1e6 / total, unit: "MB/s",
                                latencies: latencies), handle)
    }

    /// The file back in 1 MiB READs, `depth` outstanding.
    func sequentialRead(_ handle: [UInt8], in run: [UInt8]) async throws -> WorkloadFigures {
        let s = try await session(slots: depth)
        let (id, _) = try await open(s, in: run, "seq", write: false, create: false, owner: "seq-read")
        let cursor = Cursor()
        let (latencies, seconds) = try await concurrently(s.slotCount, through: { _ in s }) { slot in
            var latencies = newLatencies()
            while case let block = cursor.take(), block < fileMiB {
                var r = try await latencies.time {
                    try await s.compound(slot: slot, [.putfh(handle), .read(id, offset: UInt64(block) << 20, count: 1 << 20)])
                }
                try r.skip(22)
                guard try r.readData().data.readableBytes == 1 << 20 else { throw RPCClientError("short read") }
            }
            return latencies
        }
        try await close(s, handle, id)
        await s.close()
        return WorkloadFigures(name: "seq-read", rate: Double(fileMiB) * 1_048_576 / 1e6 / seconds, unit: "MB/s", latencies: latencies)
    }

    /// 4 KiB READs or UNSTABLE WRITEs at random aligned offsets of the large file, one outstanding per session;
    /// writers COMMIT at the end, inside the measured time.
    func random(_ sessions: [NFSSession], in run: [UInt8], write: Bool) async throws -> WorkloadFigures {
        let perSession = max(1, randomOps / sessions.count)
        let blocks = UInt64(fileMiB) * 256
        let data = Self.payload(4096)
        let (latencies, seconds) = try await concurrently(sessions.count, through: { sessions[$0] }) { i in
            let s = sessions[i]
            let (id, handle) = try await open(s, in: run, "seq", write: write, create: false, owner: "random")
            var latencies = newLatencies()
            for _ in 0..<perSession {
                let offset = UInt64.random(in: 0..<blocks) * 4096
                var r = try await latencies.time {
                    try await s.compound([.putfh(handle), write ? .write(id, offset: offset, stable: Self.unstable, data: data)
                                                                : .read(id, offset: offset, count: 4096)])
                }
                try r.skip(22)
                if write { _ = try r.written() } else if try r.readData().data.readableBytes != 4096 { throw RPCClientError("short read") }
            }
            if write { _ = try await s.compound([.putfh(handle), .commit()]) }
            try await close(s, handle, id)
            return latencies
        }
        return WorkloadFigures(name: write ? "rand-write-4k" : "rand-read-4k", rate: Double(latencies.count) / seconds,
                               unit: "ops/s", latencies: latencies)
    }

    /// `clients` separate clients, each with its own connection and session, all stat-ing the large file.
    func manyClients(_ handle: [UInt8]) async throws -> WorkloadFigures {
        let clients = try await withThrowingTaskGroup(of: NFSSession.self) { group in
            for _ in 0..<self.clients { group.addTask { try await self.session() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let (latencies, seconds) = try await concurrently(clients.count, through: { clients[$0] }) { i in
            var latencies = newLatencies()
            for _ in 0..<clientOps {
                _ = try await latencies.time { try await clients[i].compound([.putfh(handle), .getattr(NFSAttribute.stat)]) }
            }
            return latencies
        }
        for c in clients { await c.close() }
        return WorkloadFigures(name: "clients-getattr", rate: Double(latencies.count) / seconds, unit: "ops/s", latencies: latencies)
    }
}
