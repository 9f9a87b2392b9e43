import NIOCore
import NIOEmbedded
import ONCRPC
import Testing
import XDR

@Suite struct RPCMessageTests {
    @Test func aCallWithAuthSysParsesBackToItsParts() throws {
        var args = ByteBuffer(); args.xdrU32(99)
        let creds = AuthSysParameters(stamp: 1, machineName: Array("client".utf8), uid: 1000, gid: 100, gids: [4, 24])
        let record = RPCCall.encode(xid: 17, program: 100_003, version: 4, procedure: 1, credential: .sys(creds), arguments: args)
        guard case .call(let call) = RPCCall.parse(record) else { Issue.record("not parsed"); return }
        #expect(call.xid == 17 && call.program == 100_003 && call.version == 4 && call.procedure == 1)
        #expect(call.credential == .sys(creds))
        var rest = XDRDecoder(call.arguments)
        #expect(try rest.u32() == 99)
    }

    @Test func repliesAndGarbageAreRecognised() {
        var reply = ByteBuffer(); reply.xdrU32(5); reply.xdrU32(1)
        guard case .ignore = RPCCall.parse(reply) else { Issue.record("a REPLY must be ignored"); return }
        guard case .ignore = RPCCall.parse(ByteBuffer(bytes: [1, 2])) else { Issue.record("no xid: ignore"); return }
        var cut = ByteBuffer(); cut.xdrU32(6); cut.xdrU32(0); cut.xdrU32(2); cut.xdrU32(100_003)
        guard case .reject(6, .garbageArguments) = RPCCall.parse(cut) else { Issue.record("truncated header"); return }
        var tooManyGroups = ByteBuffer()
        tooManyGroups.xdrU32(1); tooManyGroups.xdrBytes(machine: 0); tooManyGroups.xdrU32(0); tooManyGroups.xdrU32(0)
        tooManyGroups.xdrU32(17); for _ in 0..<17 { tooManyGroups.xdrU32(1) }
        var call = ByteBuffer()
        call.xdrU32(8); call.xdrU32(0); call.xdrU32(2); call.xdrU32(100_003); call.xdrU32(4); call.xdrU32(0)
        call.xdrU32(1); call.xdrOpaque(tooManyGroups); call.xdrU32(0); call.xdrU32(0)
        guard case .reject(8, .authError(.badCredential)) = RPCCall.parse(call) else { Issue.record("17 groups must be refused"); return }
    }

    @Test func largeRecordsArrivingInPiecesAreGatheredWholeAndInOrderWithSmallOnes() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RecordMarkingDecoder(maxRecordSize: 1 << 20)))
        let large = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var wire = ByteBuffer()
        wire.writeInteger(UInt32(3) | 0x8000_0000, endianness: .big); wire.writeBytes([9, 9, 9])
        wire.writeInteger(UInt32(large.count) | 0x8000_0000, endianness: .big); wire.writeBytes(large)
        // The same record again in three fragments, the last one empty.
        wire.writeInteger(UInt32(100_000), endianness: .big); wire.writeBytes(large[0..<100_000])
        wire.writeInteger(UInt32(200_000), endianness: .big); wire.writeBytes(large[100_000...])
        wire.writeInteger(UInt32(0) | 0x8000_0000, endianness: .big)
        wire.writeInteger(UInt32(2) | 0x8000_0000, endianness: .big); wire.writeBytes([7, 7])
        // Delivered in uneven reads, as TCP may.
        var offset = 0, step = 1
        while offset < wire.readableBytes {
            let n = min(step, wire.readableBytes - offset)
            try channel.writeInbound(wire.getSlice(at: offset, length: n)!)
            offset += n; step = step * 3 + 1
        }
        var records: [[UInt8]] = []
        while let record = try channel.readInbound(as: ByteBuffer.self) { records.append(Array(record.readableBytesView)) }
        #expect(records == [[9, 9, 9], large, large, [7, 7]])
    }

    @Test func recordMarkingJoinsFragmentsAndRefusesOversizedRecords() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RecordMarkingDecoder(maxRecordSize: 64)))
        var wire = ByteBuffer()
        wire.writeInteger(UInt32(3), endianness: .big); wire.writeBytes([1, 2, 3])
        wire.writeInteger(UInt32(2) | 0x8000_0000, endianness: .big); wire.writeBytes([4, 5])
        try channel.writeInbound(wire)
        let record = try #require(try channel.readInbound(as: ByteBuffer.self))
        #expect(Array(record.readableBytesView) == [1, 2, 3, 4, 5])
        var big = ByteBuffer()
        big.writeInteger(UInt32(65) | 0x8000_0000, endianness: .big)
        #expect(throws: RecordTooLarge.self) { try channel.writeInbound(big) }
    }
}

extension ByteBuffer {
    /// An empty machine name (a test helper).
    mutating func xdrBytes(machine: Int) { xdrU32(0) }
}
