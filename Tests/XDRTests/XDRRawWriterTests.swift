import NIOCore
import Testing
import XDR

@Suite struct XDRRawWriterTests {
    /// The raw writer must put on the wire exactly what ByteBuffer's own XDR writes do.
    @Test func rawWritesMatchByteBufferWrites() {
        var expected = ByteBuffer()
        expected.xdrU32(7); expected.xdrU64(0x0102_0304_0506_0708); expected.xdrI64(-2); expected.xdrBool(true)
        expected.xdrOpaque([1, 2, 3, 4, 5]); expected.xdrFixedOpaque([9, 9, 9]); expected.xdrOpaque([UInt8]())
        expected.xdrString("0"); expected.xdrString("4294967295"); expected.xdrString("1000")

        // Space that held other bytes before: the pads must come out zero, not whatever was there.
        var raw = ByteBuffer(repeating: 0xEE, count: 256)
        raw.clear()
        raw.xdrRaw(maximum: 256) { w in
            w.xdrU32(7); w.xdrU64(0x0102_0304_0506_0708); w.xdrI64(-2); w.xdrBool(true)
            w.xdrOpaque([1, 2, 3, 4, 5]); w.xdrFixedOpaque([9, 9, 9]); w.xdrOpaque([])
            w.xdrDecimalString(0); w.xdrDecimalString(4_294_967_295); w.xdrDecimalString(1000)
        }
        #expect(raw == expected)
        #expect(raw.readableBytes % 4 == 0)
    }

    @Test func aLengthPatchedAfterwardsLandsWhereItWasReserved() {
        var out = ByteBuffer()
        out.xdrU32(0xAAAA_AAAA)
        out.xdrRaw(maximum: 64) { w in
            let lengthAt = w.count
            w.xdrU32(0)
            w.xdrU64(1); w.xdrU32(2)
            w.setU32(UInt32(w.count - lengthAt - 4), at: lengthAt)
        }
        #expect(out.readableBytes == 4 + 4 + 12)
        #expect(out.getInteger(at: 0, endianness: .big, as: UInt32.self) == 0xAAAA_AAAA)
        #expect(out.getInteger(at: 4, endianness: .big, as: UInt32.self) == 12)
        #expect(out.getInteger(at: 16, endianness: .big, as: UInt32.self) == 2)
    }

    @Test func writesAfterARawBlockFollowIt() {
        var out = ByteBuffer()
        out.xdrRaw(maximum: 1024) { $0.xdrU32(1) }
        out.xdrU32(2)
        #expect(out.readableBytes == 8)
        #expect(out.getInteger(at: 4, endianness: .big, as: UInt32.self) == 2)
    }
}
