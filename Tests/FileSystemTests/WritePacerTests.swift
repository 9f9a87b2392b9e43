@testable import FileSystem
import Testing

/// Writers ahead of the background flush are held evenly, at the pace the flush lands, never all at once.
@Suite struct WritePacerTests {
    let limit = 64 << 20
    let mib = 1 << 20

    @Test func writesAreSpacedAtTheFlushesPaceScaledByHowFullTheFileIs() {
        var pacer = WritePacer()
        let now = ContinuousClock.now
        // Nothing measured yet: nobody is held.
        #expect(pacer.slot(added: mib, held: limit - 1, limit: limit, now: now) == nil)
        pacer.landed(bytes: 100 * mib, in: .seconds(1))  // 100 MiB/s: 10 ms per MiB
        #expect(pacer.slot(added: mib, held: limit / 2, limit: limit, now: now) == nil)
        // At three quarters each MiB takes the flush's own 10 ms, one writer after another.
        let first = pacer.slot(added: mib, held: limit / 4 * 3, limit: limit, now: now)
        let second = pacer.slot(added: mib, held: limit / 4 * 3, limit: limit, now: now)
        #expect(first == now + .milliseconds(10))
        #expect(second == now + .milliseconds(20))
        // Fuller, each write is held longer; back under half, the queue is forgotten.
        let fuller = pacer.slot(added: mib, held: limit - mib, limit: limit, now: now)!
        #expect(fuller - second! > .milliseconds(19) && fuller - second! < .milliseconds(20))
        #expect(pacer.slot(added: mib, held: limit / 4, limit: limit, now: now) == nil)
        #expect(pacer.slot(added: mib, held: limit / 4 * 3, limit: limit, now: now) == now + .milliseconds(10))
    }

    @Test func noWriteIsHeldLongerThanTheLongestWait() {
        var pacer = WritePacer()
        pacer.landed(bytes: 1, in: .seconds(10))  // a flush that hardly moved
        let now = ContinuousClock.now
        for _ in 0..<100 {
            let slot = pacer.slot(added: mib, held: limit - 1, limit: limit, now: now)!
            #expect(slot <= now + WritePacer.longestWait)
        }
        // The estimate follows later landings.
        pacer.landed(bytes: 1000 * mib, in: .seconds(1))
        #expect(pacer.bandwidth! > 400 * Double(mib))
    }
}
