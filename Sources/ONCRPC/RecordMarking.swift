import NIOCore

public struct RecordTooLarge: Error, Sendable {
    public let size: Int
}

/// RFC 5531 §11 record marking: joins fragments into records. A record over `maxRecordSize` is refused
/// before any of it is buffered (the connection is then closed: its xid is unknown, so nothing can be answered).
public struct RecordMarkingDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer
    public let maxRecordSize: Int
    private var partial: ByteBuffer?

    public init(maxRecordSize: Int) { self.maxRecordSize = maxRecordSize }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let header = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return .needMoreData
        }
        let last = header & 0x8000_0000 != 0
        let length = Int(header & 0x7FFF_FFFF)
        let total = (partial?.readableBytes ?? 0) + length
        guard total <= maxRecordSize else { throw RecordTooLarge(size: total) }
        guard buffer.readableBytes >= 4 + length else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        var fragment = buffer.readSlice(length: length)!
        if last {
            if var joined = partial {
                joined.writeBuffer(&fragment)
                partial = nil
                context.fireChannelRead(wrapInboundOut(joined))
            } else {
                context.fireChannelRead(wrapInboundOut(fragment))
            }
        } else {
            if partial == nil { partial = context.channel.allocator.buffer(capacity: length) }
            partial!.writeBuffer(&fragment)
        }
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

extension ByteBuffer {
    /// A record mark for a single last fragment of `length` bytes.
    public static func recordMark(length: Int) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(UInt32(length) | 0x8000_0000, endianness: .big)
        return b
    }
}
