@testable import NFSv4
import Testing

/// bitmap4: the attribute numbers a GETATTR answers come out in order.
@Suite struct AttributeBitmapTests {
    @Test func bitsComeOutInOrderAcrossWords() {
        let numbers = [0, 1, 4, 31, 32, 33, 55, 63, 75]
        #expect(AttributeBitmap(numbers).bits == numbers)
        #expect(AttributeBitmap(words: [0, 0]).bits.isEmpty)
        #expect(AttributeBitmap(words: [UInt32.max]).bits == Array(0..<32))
    }
}
