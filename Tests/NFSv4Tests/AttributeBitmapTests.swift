@testable import NFSv4
import Testing

/// bitmap4 arithmetic: the attribute numbers a GETATTR answers come out in order, and the one-pass
/// reduction answers what the two-step one did.
@Suite struct AttributeBitmapTests {
    @Test func bitsComeOutInOrderAcrossWords() {
        let numbers = [0, 1, 4, 31, 32, 33, 55, 63, 75]
        #expect(AttributeBitmap(numbers).bits == numbers)
        #expect(AttributeBitmap(words: [0, 0]).bits.isEmpty)
        #expect(AttributeBitmap(words: [UInt32.max]).bits == Array(0..<32))
    }

    @Test func oneStepReductionMatchesIntersectingThenSubtracting() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let words = { (n: Int) in (0..<n).map { _ in UInt32.random(in: 0...UInt32.max, using: &generator) } }
            let asked = AttributeBitmap(words: words(Int.random(in: 0...4))), kept = AttributeBitmap(words: words(Int.random(in: 0...4)))
            let dropped = AttributeBitmap(words: words(Int.random(in: 0...4)))
            let reduced = asked.intersection(kept, subtracting: dropped)
            #expect(reduced == asked.intersection(kept).subtracting(dropped))
            #expect(reduced.words.last != 0)
        }
    }
}
