@testable import FileSystem
import NIOCore
import Testing

/// The per-file write-back state machine on its own: events in, effects out, no disks, locks or clocks.
@Suite struct FileWriteBackTests {
    static let chunk = 1 << 20
    /// A seal every 4 KiB and a full file at 16 KiB, so a few small writes walk through every state.
    let limits = FileWriteBack.Limits(sealSize: 4096, fileLimit: 16384)
    let t0 = ContinuousClock.now

    final class Numbers: @unchecked Sendable {
        var next: UInt64 = 2
        func take() -> UInt64 { defer { next += 1 }; return next }
    }

    func file() -> (FileWriteBack, Numbers) { (FileWriteBack(limits: limits, firstGeneration: 1), Numbers()) }

    /// `count` bytes of `byte` at `offset`, as the driver cuts a write into per-chunk pieces.
    func piece(_ offset: Int, _ count: Int, _ byte: UInt8 = 1) -> [(index: Int64, extent: FileWriteBack.Extent)] {
        [(Int64(offset / Self.chunk), FileWriteBack.Extent(offset: offset % Self.chunk, data: ByteBuffer(repeating: byte, count: count)))]
    }

    @Test func aSmallWriteIsHeldAndAnsweredAtOnce() {
        var (f, n) = file()
        let effects = f.write(piece(0, 1000), end: 1000, mtime: Timestamp(nanoseconds: 5), at: t0, nextGeneration: n.take)
        #expect(effects == FileWriteBack.Effects(freed: -1000))
        #expect(f.bytes == 1000 && f.generations.count == 1 && f.pendingSince == t0)
        #expect(f.summary.map { [$0.end, $0.writes] } == [1000, 1] && f.summary?.mtime == Timestamp(nanoseconds: 5))
    }

    @Test func overlappingWritesHoldEachByteOnce() {
        var (f, n) = file()
        _ = f.write(piece(0, 100), end: 100, mtime: .now(), at: t0, nextGeneration: n.take)
        let effects = f.write(piece(50, 100, 2), end: 150, mtime: .now(), at: t0, nextGeneration: n.take)
        #expect(effects.freed == -50 && f.bytes == 150)
        // A write inside an extent splits it: the held bytes stay the same.
        _ = f.write(piece(10, 20, 3), end: 30, mtime: .now(), at: t0, nextGeneration: n.take)
        let extents = f.oldest!.chunks[0]!
        #expect(f.bytes == 150 && extents.map(\.offset) == [0, 10, 30, 50] && extents.map(\.end) == [10, 30, 50, 150])
        #expect(f.summary?.writes == 3 && f.summary?.end == 150)
    }

    @Test func aFullGenerationIsSealedAndStartsOneBackgroundFlush() {
        var (f, n) = file()
        let first = f.write(piece(0, 4096), end: 4096, mtime: .now(), at: t0, nextGeneration: n.take)
        #expect(first.startBackgroundFlush && f.backgroundFlush && f.generations.map(\.id) == [1, 2])
        #expect(f.oldestUnstaged?.id == 1)
        let second = f.write(piece(4096, 4096), end: 8192, mtime: .now(), at: t0, nextGeneration: n.take)
        #expect(!second.startBackgroundFlush && f.generations.map(\.id) == [1, 2, 3])
    }

    @Test func aFullFileHoldsItsWritersForTheBackgroundFlushOrFlushesWithoutOne() {
        var (f, n) = file()
        var last = FileWriteBack.Effects()
        for i in 0..<4 { last = f.write(piece(i * 4096, 4096), end: UInt64((i + 1) * 4096), mtime: .now(), at: t0, nextGeneration: n.take) }
        #expect(f.bytes == 16384 && last.writer == .waitForRoom && f.isFull)
        // The background flush failed: nobody else will make room, so the next writer flushes.
        #expect(f.backgroundFlushFailed() == FileWriteBack.Effects(wakeWaiters: true))
        #expect(!f.isFull)
        let next = f.write(piece(0, 10), end: 10, mtime: .now(), at: t0, nextGeneration: n.take)
        #expect(next.writer == .flushNow)
    }

    @Test func writersArePacedOnceTheFlushIsMeasuredAndTheFileFillsPastHalf() {
        var (f, n) = file()
        _ = f.write(piece(0, 4096), end: 4096, mtime: .now(), at: t0, nextGeneration: n.take)  // seals: flush runs
        f.backgroundFlushMeasured(bytes: 4096, in: .seconds(1))  // 4 KiB/s
        let under = f.write(piece(4096, 4000), end: 8096, mtime: .now(), at: t0, nextGeneration: n.take)
        #expect(under.writer == .proceed)  // held 8,096 of 16,384: under half
        let over = f.write(piece(8096, 4096), end: 12192, mtime: .now(), at: t0, nextGeneration: n.take)
        guard case .pace(let until) = over.writer else { Issue.record("not paced: \(over.writer)"); return }
        #expect(until > t0 && until <= t0 + WritePacer.longestWait)
    }

    @Test func sealingHandsOverWhatIsWrittenAndFurtherWritesGoToANewGeneration() {
        var (f, n) = file()
        #expect(f.seal(nextGeneration: n.take) == nil)  // nothing written
        _ = f.write(piece(0, 10), end: 10, mtime: .now(), at: t0, nextGeneration: n.take)
        #expect(f.seal(nextGeneration: n.take) == 1 && f.generations.map(\.id) == [1, 2])
        #expect(f.seal(nextGeneration: n.take) == 1 && f.generations.count == 2)  // no writes since: no new one
        _ = f.write(piece(20, 10), end: 30, mtime: .now(), at: t0, nextGeneration: n.take)
        #expect(f.generations.last?.writes == 1 && f.oldest?.id == 1)
    }

    @Test func stagingFreesTheChunksOnceAndLandingTheLastGenerationEndsTheFile() {
        var (f, n) = file()
        _ = f.write(piece(0, 4096), end: 4096, mtime: .now(), at: t0, nextGeneration: n.take)
        let staged = f.staged(1, [], taking: [0])
        #expect(staged == FileWriteBack.Effects(freed: 4096, wakeWaiters: true))
        #expect(f.staged(1, [], taking: [0]) == nil && f.bytes == 0 && f.oldestUnstaged == nil)
        // The flush finds nothing left to stage; the staged generation still has to land.
        let (goesOn, finished) = f.backgroundFlushFinished()
        #expect(!goesOn && !finished.done && !f.backgroundFlush)
        let landed = f.landed(1, nextGeneration: n.take)
        #expect(landed.done && landed.wakeWaiters && f.summary == nil)
    }

    @Test func aBackgroundFlushGoesOnWhileGenerationsAreSealedBehindIt() {
        var (f, n) = file()
        _ = f.write(piece(0, 4096), end: 4096, mtime: .now(), at: t0, nextGeneration: n.take)
        _ = f.staged(1, [], taking: [0])
        _ = f.write(piece(4096, 4096), end: 8192, mtime: .now(), at: t0, nextGeneration: n.take)  // seals 2
        #expect(f.backgroundFlushFinished().goesOn && f.backgroundFlush)
        #expect(f.oldestUnstaged?.id == 2)
    }

    @Test func landingAGenerationWhileOthersWaitKeepsTheFile() {
        var (f, n) = file()
        _ = f.write(piece(0, 10), end: 10, mtime: .now(), at: t0, nextGeneration: n.take)
        _ = f.seal(nextGeneration: n.take)
        _ = f.write(piece(100, 10), end: 110, mtime: .now(), at: t0 + .seconds(1), nextGeneration: n.take)
        let landed = f.landed(1, nextGeneration: n.take)
        #expect(!landed.done && landed.freed == 10 && f.bytes == 10 && f.oldest?.id == 2)
        #expect(f.pendingSince == t0 + .seconds(1))
        #expect(f.landed(99, nextGeneration: n.take) == FileWriteBack.Effects())  // unknown: nothing happens
    }
}
