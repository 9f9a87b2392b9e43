import NIOCore
import Testing
import XDR

@Suite struct XDRDecoderTests {
    @Test func valuesRoundTripWithPadding() throws {
        var b = ByteBuffer()
        b.xdrU32(7); b.xdrI32(-2); b.xdrU64(.max); b.xdrI64(-5); b.xdrBool(true)
        b.xdrOpaque([1, 2, 3]); b.xdrFixedOpaque([9, 9]); b.xdrString("héllo")
        b.xdrArray([10, 20, 30] as [UInt32]) { $0.xdrU32($1) }
        #expect(b.readableBytes % 4 == 0)
        var d = XDRDecoder(b)
        #expect(try d.u32() == 7 && (try d.i32()) == -2 && (try d.u64()) == .max && (try d.i64()) == -5)
        #expect(try d.bool() == true)
        #expect(try d.opaque(max: 3) == [1, 2, 3])
        #expect(try d.fixedOpaque(2) == [9, 9])
        #expect(try d.utf8String(max: 10) == "héllo")
        #expect(try d.array(max: 3) { (d: inout XDRDecoder) throws(XDRError) in try d.u32() } == [10, 20, 30])
        #expect(d.isAtEnd)
    }

    @Test func numbersEncodeAsTheStringsOfTheirDigits() throws {
        for v: UInt32 in [0, 7, 10, 99, 100, 1000, 65534, 1_000_000, .max] {
            var b = ByteBuffer()
            b.xdrDecimalString(v)
            b.xdrU32(0xABCD)  // what follows starts on the next four-byte boundary
            var expected = ByteBuffer()
            expected.xdrString(String(v))
            expected.xdrU32(0xABCD)
            #expect(b == expected)
            var d = XDRDecoder(b)
            #expect(try d.utf8String(max: 16) == String(v))
        }
    }

    @Test func truncatedInputIsAnErrorNotATrap() {
        var d = XDRDecoder(ByteBuffer(bytes: [0, 0, 1]))
        #expect(throws: XDRError.truncated) { try d.u32() }
        var e = XDRDecoder(ByteBuffer(bytes: [0, 0, 0, 1, 0, 0, 0]))
        #expect(throws: XDRError.truncated) { try e.u64() }
    }

    @Test func lengthsThatLieAreRefusedBeforeAllocating() {
        var huge = ByteBuffer(); huge.xdrU32(0xFFFF_FFFF)
        var d = XDRDecoder(huge)
        #expect(throws: XDRError.tooLong(0xFFFF_FFFF)) { try d.opaque(max: 1024) }
        var short = ByteBuffer(); short.xdrU32(100); short.writeBytes([1, 2, 3, 4])
        var s = XDRDecoder(short)
        #expect(throws: XDRError.truncated) { try s.opaque(max: 1024) }
        // A count the remaining bytes cannot hold fails without reserving room for it.
        var many = ByteBuffer(); many.xdrU32(1000); many.xdrU32(1)
        var m = XDRDecoder(many)
        #expect(throws: XDRError.truncated) { try m.array(max: 10_000) { (d: inout XDRDecoder) throws(XDRError) in try d.u32() } }
        var over = ByteBuffer(); over.xdrU32(11)
        var o = XDRDecoder(over)
        #expect(throws: XDRError.tooLong(11)) { try o.array(max: 10) { (d: inout XDRDecoder) throws(XDRError) in try d.u32() } }
    }

    @Test func booleansAreZeroOrOne() {
        var b = ByteBuffer(); b.xdrU32(2)
        var d = XDRDecoder(b)
        #expect(throws: XDRError.self) { try d.bool() }
    }

    @Test func opaqueSlicesShareTheInputAndSkipPadding() throws {
        var b = ByteBuffer(); b.xdrOpaque([5, 6, 7, 8, 9]); b.xdrU32(42)
        var d = XDRDecoder(b)
        let slice = try d.opaqueBuffer(max: 10)
        #expect(Array(slice.readableBytesView) == [5, 6, 7, 8, 9])
        #expect(try d.u32() == 42)
    }
}
