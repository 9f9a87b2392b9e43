import Foundation
import Locking
import Testing

@Suite struct AdaptiveMutexTests {
    @Test func threadsIncrementingUnderTheLockLoseNoUpdate() {
        let counter = AdaptiveMutex(0)
        let threads = 4, increments = 100_000
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            for _ in 0..<increments { counter.withLock { $0 += 1 } }
        }
        #expect(counter.withLock { $0 } == threads * increments)
    }

    struct Refused: Error {}

    @Test func anErrorThrownInsideLeavesTheLockFreeAndTheValueAsChanged() {
        let value = AdaptiveMutex([1])
        #expect(throws: Refused.self) {
            try value.withLock { (v: inout [Int]) throws(Refused) in v.append(2); throw Refused() }
        }
        // Taking it again would hang if the throw had left it locked.
        #expect(value.withLock { $0 } == [1, 2])
    }
}
